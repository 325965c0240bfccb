"""Every file in examples/ (and the pre-commit hook definition) parses, and its command works.

The examples name the project folder /srv/newsproof and the installed script
/srv/newsproof/.venv/bin/newsproof; the tests put a tmp project and this environment's script
in their place and run the command as the scheduler would.
"""

from __future__ import annotations

import configparser
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from newsproof.runs import LATEST
from newsproof.store import connect
from test_runs import REPO, make_project, newsproof

EXAMPLES = REPO / "examples"
EXAMPLE_PROJECT, EXAMPLE_SCRIPT = "/srv/newsproof", "/srv/newsproof/.venv/bin/newsproof"
SCRIPT = Path(sys.executable).parent / "newsproof"
# workflow-command syntax: ::error file=PATH,line=N[,title=...]::message
ANNOTATION = re.compile(r"^::(error|warning|notice) file=[^,:]+,line=\d+(,title=[^,:]+)?::.+$")
CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
               ("day of week", 0, 7))


def localize(command: str, project: Path) -> str:
    return command.replace(EXAMPLE_SCRIPT, str(SCRIPT)).replace(EXAMPLE_PROJECT, str(project))


def cron_field_ok(field: str, low: int, high: int) -> bool:
    for item in field.split(","):
        match = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", item)
        if not match:
            return False
        numbers = [int(n) for n in match.group(2, 3, 4)[:2] if n is not None]
        if any(not low <= n <= high for n in numbers) or (match.group(4) and int(match.group(4)) == 0):
            return False
    return True


def test_crontab_line(tmp_path):
    (line,) = [ln for ln in (EXAMPLES / "crontab").read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    *schedule, command = line.split(None, 5)
    for field, (name, low, high) in zip(schedule, CRON_FIELDS):
        assert cron_field_ok(field, low, high), f"{name} field {field!r}"
    assert command.startswith(f"{EXAMPLE_SCRIPT} run --config {EXAMPLE_PROJECT}/newsproof.toml")

    project = make_project(tmp_path / "project").parent
    # cron: /bin/sh, a bare environment, started in the home directory.
    done = subprocess.run(["/bin/sh", "-c", localize(command, project)], cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, capture_output=True, text=True,
                          timeout=120)
    log = (project / "newsproof-run.log").read_text()
    assert done.returncode == 0, log
    assert "newsproof run: [1/5] loading " in log and "PASSED" in log
    assert (project / "reports" / LATEST / "index.html").is_file()


def test_systemd_service_and_timer(tmp_path):
    def unit(name: str) -> configparser.ConfigParser:
        parser = configparser.ConfigParser(interpolation=None, strict=True)
        parser.optionxform = str  # systemd keys are case-sensitive
        parser.read_string((EXAMPLES / name).read_text())
        return parser

    service, timer = unit("newsproof-run.service"), unit("newsproof-run.timer")
    assert service["Service"]["Type"] == "oneshot"
    assert timer["Timer"]["Unit"] == "newsproof-run.service" and timer["Timer"]["OnCalendar"]
    assert timer["Install"]["WantedBy"] == "timers.target"
    argv = shlex.split(service["Service"]["ExecStart"])
    assert argv[0] == EXAMPLE_SCRIPT and argv[1:4] == ["run", "--config", f"{EXAMPLE_PROJECT}/newsproof.toml"]

    project = make_project(tmp_path / "project").parent
    done = subprocess.run([localize(arg, project) for arg in argv],
                          cwd=localize(service["Service"]["WorkingDirectory"], project),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stderr.splitlines()]  # journald gets JSON lines
    assert events[-1]["event"] == "done" and json.loads(done.stdout)["status"] == "passed"


def test_github_actions_workflow(tmp_path):
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request", "schedule"} <= set(triggers)
    (job,) = workflow["jobs"].values()
    uses = [step.get("uses", "") for step in job["steps"]]
    assert uses[0].startswith("actions/checkout@") and any(u.startswith("actions/setup-python@") for u in uses)
    (validate,) = [s for s in job["steps"] if s.get("run", "").startswith("newsproof validate")]
    (upload,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["if"] == "always()" and upload["with"]["path"].startswith("reports/")
    assert job["steps"].index(upload) > job["steps"].index(validate)
    argv = shlex.split(validate["run"])
    assert argv[argv.index("--format") + 1] == "github"

    # The validate step, run in this repository against a tmp database holding its datasets
    # (loaded by relative path, as in a checkout) with one figure broken in the database.
    db = tmp_path / "ci.duckdb"
    loaded = newsproof("load", "datasets/korea-ukraine", "datasets/synthetic-followups", "--db", str(db), cwd=REPO)
    assert loaded.returncode == 0, loaded.stderr
    con = connect(db)
    try:
        con.execute("UPDATE figures SET lower = upper + 1 WHERE figure_id = 'ku-f04'")
    finally:
        con.close()
    argv[argv.index("--db") + 1] = str(db)
    done = subprocess.run([str(SCRIPT), *argv[1:]], cwd=REPO, capture_output=True, text=True, timeout=180)
    assert done.returncode == 1, done.stderr
    *annotations, summary = done.stdout.splitlines()
    assert annotations and all(ANNOTATION.match(a) for a in annotations), annotations
    assert summary.startswith("newsproof: failed:")
    bounds = [a for a in annotations if "title=bounds-order" in a]
    assert bounds == [f"::error file=datasets/korea-ukraine/figures.csv,line=5,title=bounds-order::"
                      f"lower bound 3.0 is above upper bound 2.0"]
    for annotation in annotations:  # every annotation points at a real file of the checkout
        assert (REPO / re.search(r"file=([^,]+)", annotation).group(1)).is_file()


def test_pre_commit_hook(tmp_path):
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    usage = yaml.safe_load((EXAMPLES / "pre-commit-config.yaml").read_text())
    (used,) = [h for repo in usage["repos"] for h in repo["hooks"]]
    assert used["id"] == hook["id"] and hook["language"] == "python" and hook["pass_filenames"] is False
    assert re.search(hook["files"], "datasets/korea-ukraine/figures.csv")

    project = make_project(tmp_path / "project").parent
    command = shlex.split(hook["entry"]) + used.get("args", [])
    assert command[:2] == ["newsproof", "run"]
    # pre-commit runs the entry in the repository root with the hook's environment on PATH.
    done = subprocess.run([str(SCRIPT), *command[1:]], cwd=project, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

    figures = project / "korea-ukraine" / "figures.csv"
    figures.write_text(figures.read_text().replace(",2,exact,2,2,state,", ",2,exact,3,2,state,"))
    blocked = subprocess.run([str(SCRIPT), *command[1:]], cwd=project, capture_output=True, text=True, timeout=120)
    assert blocked.returncode == 1 and "bounds-order" in blocked.stdout
