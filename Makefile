# The course in two commands:  make course  (set up + open JupyterLab)  and  make test.
# Headless (a server, a container):  make course JUPYTER_ARGS=--no-browser
PYTHON ?= python3
VENV ?= .venv
JUPYTER_ARGS ?=
INSTRUCTOR_OUT ?= instructor
PYTEST_ARGS ?=
BIN := $(VENV)/bin

.PHONY: course test setup ready lint clean instructor

course: ready
	$(BIN)/jupyter lab --notebook-dir=notebooks $(JUPYTER_ARGS)

test: ready
	$(BIN)/python -m pytest tests course_utils notebooks --doctest-modules \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=900 \
		--nbval-sanitize-with tests/nbval_sanitize.cfg $(PYTEST_ARGS)

setup: $(BIN)/.installed

# The virtual environment: pyproject.toml's ranges at constraints.txt's exact versions; rebuilt when either changes.
$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -c constraints.txt -e ".[test]"
	touch $@

# Data and weights: found offline, downloaded when online, or recreated (the lab checkpoint).
ready: setup
	$(BIN)/python -m course_utils.doctor

# The instructor edition: every exercise stub replaced by its reference solution (from
# course_utils/exercises/chNN.py), executed, written to instructor/ (git-ignored).
instructor: ready
	$(BIN)/python -m course_utils.exercises.instructor --src notebooks --out $(INSTRUCTOR_OUT)

lint: setup
	$(BIN)/python -m course_utils.quiz lint quizzes/

clean:
	rm -rf $(VENV) .pytest_cache
