"""Checkers for the chapters' "your turn" exercises: one module per chapter (``ch01`` ... ``ch07``)."""
