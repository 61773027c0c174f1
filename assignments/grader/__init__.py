"""Grading that untrusted code cannot game, and that is fair to every honest student.

nbgrader's own pipeline with one small piece per concern, each preprocessor in a file of its
own (like nbgrader's ``preprocessors/``); ``nbgrader_config.py`` puts them in and only sets
traits:

* ``sandbox``  -- ``SandboxedKernelManager``: every grading kernel inside bubblewrap.
* ``execute``  -- ``SandboxedExecute``: runs the notebook in it, with CPU-time cell limits, and
  hands the kernel this submission's hidden inputs (the plan; no expected value).
* ``judge``    -- ``JudgeHiddenTests``: scores every hidden-test cell in the grader's process,
  check by check (partial credit), writes the feedback and the per-check records.
* ``save``     -- ``SaveJudgedScores``: stores those scores in the gradebook.
* ``restore``  -- ``RestoreDeletedTests``: puts deleted test cells back.

and the facts they read: ``checks`` (the one declaration of every hidden check), ``families``
(the input families), ``inputs`` (the course secret and the draws), ``reference`` (expected
values with ``lib.reference``), ``compare`` (the comparisons), ``digits`` (the test digits).
The kernel side is ``../hidden_tasks.py``, the only course file the sandbox can read.
"""
