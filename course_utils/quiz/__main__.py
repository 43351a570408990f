"""Instructor and terminal commands for the quizzes.

    python -m course_utils.quiz lint quizzes/ [--max-longest-share 0.35]  # check every bank
    python -m course_utils.quiz report results/ --csv grades.csv [--banks quizzes/]
    python -m course_utils.quiz take 03 [--student NAME]         # answer a quiz in a terminal

Each command exits 0 on success and 1 with one clear line per problem otherwise.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .bank import QuizFormatError, quiz_dir
from .lint import MAX_LONGEST_SHARE, lint
from .report import ReportError, check_destination, gather_results, load_banks, write_report
from .text import text_quiz


def _lint(args: argparse.Namespace) -> int:
    report = lint(args.paths, max_longest_share=args.max_longest_share)
    for problem in report.problems:
        print(f"error: {problem}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    for line in report.length_lines():
        print(line)
    print(report.summary())
    return 0 if report.ok else 1


def _report(args: argparse.Namespace) -> int:
    folder = Path(args.results_dir)
    if not folder.is_dir():
        print(f"error: results_dir {folder} is not a folder. HINT: give the folder the "
              "students' results files (*.json) were collected in.", file=sys.stderr)
        return 1
    banks_dir = Path(args.banks) if args.banks else quiz_dir()
    if not banks_dir.is_dir():
        print(f"error: --banks {banks_dir} is not a folder of question banks. HINT: give the "
              "course's quizzes/ folder, or leave --banks out.", file=sys.stderr)
        return 1
    try:
        check_destination(Path(args.csv), folder)
        banks = load_banks(banks_dir)
    except (ReportError, QuizFormatError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    rows, flags = gather_results(folder, banks)
    for message in flags:
        print(f"warning: {message}", file=sys.stderr)
    if not rows:
        print(f"error: no usable results files (*.json) in {folder}.", file=sys.stderr)
        return 1
    try:
        out = write_report(rows, args.csv, results_dir=folder)
    except (ReportError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    students = len({r["student"] for r in rows})
    print(f"quiz report: {len(rows)} rows from {students} student(s) written to {out}"
          f"{f'; {len(flags)} warning(s) above' if flags else ''}")
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
    p.add_argument("--max-longest-share", type=float, default=MAX_LONGEST_SHARE,
                   help="fail a bank whose key is strictly the longest option in more than "
                        f"this share of its questions (default {MAX_LONGEST_SHARE})")
    p.set_defaults(func=_lint)
    p = sub.add_parser("report", help="gather students' results files into one CSV")
    p.add_argument("results_dir", help="folder with one <student>.json per student")
    p.add_argument("--csv", required=True, help="CSV file to write (never a .json file)")
    p.add_argument("--banks", default=None, help="folder of the banks to grade against "
                                                  "(default: the course's quizzes/)")
    p.set_defaults(func=_report)
    p = sub.add_parser("take", help="answer a chapter's quiz in the terminal")
    p.add_argument("chapter", help="chapter number, e.g. 03")
    p.add_argument("--student", default=None, help="your name or id (asked otherwise)")
    p.add_argument("--seed", default=None, help="one option order for everyone (default: "
                                                "an order of your own, from your name)")
    p.set_defaults(func=_take)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
