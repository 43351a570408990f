"""Instructor and terminal commands for the quizzes.

    python -m course_utils.quiz lint quizzes/                    # check every bank
    python -m course_utils.quiz report results/ --csv grades.csv # gather students' results
    python -m course_utils.quiz take 03 [--student NAME]         # answer a quiz in a terminal

Each command exits 0 on success and 1 with one clear line per problem otherwise.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .bank import QuizFormatError
from .lint import lint
from .results import gather_results, write_report
from .text import text_quiz


def _lint(args: argparse.Namespace) -> int:
    report = lint(args.paths)
    for problem in report.problems:
        print(f"error: {problem}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    print(report.summary())
    return 0 if report.ok else 1


def _report(args: argparse.Namespace) -> int:
    folder = Path(args.results_dir)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder of results files.", file=sys.stderr)
        return 1
    rows, skipped = gather_results(folder)
    for message in skipped:
        print(f"warning: {message}", file=sys.stderr)
    if not rows:
        print(f"error: no usable results files (*.json) in {folder}.", file=sys.stderr)
        return 1
    out = write_report(rows, args.csv)
    students = len({r["student"] for r in rows})
    print(f"quiz report: {len(rows)} rows from {students} student(s) written to {out}")
    return 0


def _take(args: argparse.Namespace) -> int:
    try:
        quiz = text_quiz(args.chapter, seed=args.seed, student=args.student, show=False)
    except (QuizFormatError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"Quiz {quiz.bank.chapter}: {quiz.bank.title} ({len(quiz.bank)} questions)")
    try:
        quiz.run()
    except (EOFError, KeyboardInterrupt):
        print("\nStopped; the answers you checked are saved.")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.quiz",
                                     description="Quiz tools: lint banks, report results, take a quiz.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("lint", help="check bank files or folders")
    p.add_argument("paths", nargs="+", help="bank files or folders such as quizzes/")
    p.set_defaults(func=_lint)
    p = sub.add_parser("report", help="gather students' results files into one CSV")
    p.add_argument("results_dir", help="folder with one <student>.json per student")
    p.add_argument("--csv", required=True, help="CSV file to write")
    p.set_defaults(func=_report)
    p = sub.add_parser("take", help="answer a chapter's quiz in the terminal")
    p.add_argument("chapter", help="chapter number, e.g. 03")
    p.add_argument("--student", default=None, help="your name or id (asked otherwise)")
    p.add_argument("--seed", default=0, help="option shuffle seed (default 0)")
    p.set_defaults(func=_take)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
