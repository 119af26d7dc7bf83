"""What ``comptoir autostart`` registers: the Windows task's XML (parsed, and checked against
the Task Scheduler 1.2 schema's elements and values, transcribed below), the systemd user
unit (``systemd-analyze verify`` when it is installed), and registering with a stand-in
``systemctl`` on PATH (the real one would change this machine's session)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path, PureWindowsPath

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from comptoir.lib.errors import ComptoirError
from comptoir.ops import autostart
from comptoir.ops.autostart import (
    TASK_NS,
    launch_for,
    plan_for,
    systemd_unit,
    task_xml,
    windows_quote,
)

WINDOWS_HOME = PureWindowsPath(r"C:\Users\Zoé\Documents\Caisse du Marché")
PYTHON = r"C:\Users\Zoé\AppData\Local\Programs\Python\Python312\python.exe"
USER = r"EPICERIE\zoé"


def windows_split(line: str) -> list[str]:
    """A Windows command line split as the C runtime (and so Python) splits it."""
    args: list[str] = []
    current: list[str] = []
    quoted = started = False
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\":
            n = 0
            while i < len(line) and line[i] == "\\":
                n, i = n + 1, i + 1
            if i < len(line) and line[i] == '"':
                current.append("\\" * (n // 2))
                if n % 2:
                    current.append('"')
                    i += 1
            else:
                current.append("\\" * n)
            started = True
        elif char == '"':
            quoted, started, i = not quoted, True, i + 1
        elif char in " \t" and not quoted:
            if started:
                args.append("".join(current))
                current, started = [], False
            i += 1
        else:
            current.append(char)
            started, i = True, i + 1
    if started:
        args.append("".join(current))
    return args


# -- the Scheduled Task ---------------------------------------------------------------------

# The Task Scheduler 1.2 schema (learn.microsoft.com, "Task Scheduler Schema"): the children
# each element may have (all of them ``xs:all``: each at most once, any order) and those it
# must have.
CHILDREN = {
    "Task": (
        {"RegistrationInfo", "Triggers", "Settings", "Data", "Principals", "Actions"},
        {"Actions"},
    ),
    "RegistrationInfo": (
        {
            "URI",
            "SecurityDescriptor",
            "Source",
            "Date",
            "Author",
            "Version",
            "Description",
            "Documentation",
        },
        set(),
    ),
    "LogonTrigger": (
        {
            "Enabled",
            "StartBoundary",
            "EndBoundary",
            "Repetition",
            "ExecutionTimeLimit",
            "Delay",
            "UserId",
        },
        set(),
    ),
    "Principal": (
        {
            "UserId",
            "GroupId",
            "LogonType",
            "RunLevel",
            "DisplayName",
            "ProcessTokenSidType",
            "RequiredPrivileges",
        },
        set(),
    ),
    "Settings": (
        {
            "AllowStartOnDemand",
            "RestartOnFailure",
            "MultipleInstancesPolicy",
            "DisallowStartIfOnBatteries",
            "StopIfGoingOnBatteries",
            "AllowHardTerminate",
            "StartWhenAvailable",
            "NetworkProfileName",
            "RunOnlyIfNetworkAvailable",
            "WakeToRun",
            "Enabled",
            "Hidden",
            "DeleteExpiredTaskAfter",
            "IdleSettings",
            "NetworkSettings",
            "ExecutionTimeLimit",
            "Priority",
            "RunOnlyIfIdle",
        },
        set(),
    ),
    "IdleSettings": ({"Duration", "WaitTimeout", "StopOnIdleEnd", "RestartOnIdle"}, set()),
    "RestartOnFailure": ({"Interval", "Count"}, {"Interval", "Count"}),
    "Exec": ({"Command", "Arguments", "WorkingDirectory"}, {"Command"}),
}
# Elements that repeat: the triggers, the principal (one), the actions (up to 32).
LISTS = {
    "Triggers": {"LogonTrigger", "BootTrigger", "TimeTrigger", "CalendarTrigger"},
    "Principals": {"Principal"},
    "Actions": {"Exec"},
}
BOOLEANS = {
    "Enabled",
    "AllowStartOnDemand",
    "DisallowStartIfOnBatteries",
    "StopIfGoingOnBatteries",
    "AllowHardTerminate",
    "StartWhenAvailable",
    "RunOnlyIfNetworkAvailable",
    "WakeToRun",
    "Hidden",
    "RunOnlyIfIdle",
    "StopOnIdleEnd",
    "RestartOnIdle",
}
CHOICES = {
    "MultipleInstancesPolicy": {"Parallel", "Queue", "IgnoreNew", "StopExisting"},
    "LogonType": {"S4U", "Password", "InteractiveToken", "InteractiveTokenOrPassword"},
    "RunLevel": {"LeastPrivilege", "HighestAvailable"},
}
DURATION = re.compile(r"P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?")


def _seconds(duration: str) -> int:
    match = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", duration)
    assert match, duration
    d, h, m, s = (int(g or 0) for g in match.groups())
    return ((d * 24 + h) * 60 + m) * 60 + s


def schema_errors(element: ET.Element) -> list[str]:
    errors = []
    tag = element.tag.removeprefix(f"{{{TASK_NS}}}")
    if not element.tag.startswith(f"{{{TASK_NS}}}"):
        errors.append(f"{element.tag}: not in the task namespace")
    children = [child.tag.removeprefix(f"{{{TASK_NS}}}") for child in element]
    if tag in CHILDREN:
        allowed, required = CHILDREN[tag]
        errors += [f"{tag}/{c}: not allowed" for c in children if c not in allowed]
        errors += [f"{tag}/{c}: twice" for c in set(children) if children.count(c) > 1]
        errors += [f"{tag}/{c}: missing" for c in required - set(children)]
    elif tag in LISTS:
        errors += [f"{tag}/{c}: not allowed" for c in children if c not in LISTS[tag]]
    text = (element.text or "").strip()
    if tag in BOOLEANS and text not in ("true", "false"):
        errors.append(f"{tag}={text!r}: not a boolean")
    if tag in CHOICES and text not in CHOICES[tag]:
        errors.append(f"{tag}={text!r}: not one of {sorted(CHOICES[tag])}")
    if tag in ("ExecutionTimeLimit", "Interval") and not DURATION.fullmatch(text):
        errors.append(f"{tag}={text!r}: not a duration")
    if tag == "Interval" and not 60 <= _seconds(text) <= 31 * 86400:
        errors.append(f"Interval={text}: outside PT1M..P31D")
    if tag == "Count" and not (text.isdigit() and 1 <= int(text) <= 255):
        errors.append(f"Count={text}: outside 1..255 (unsignedByte)")
    if tag == "Priority" and not (text.isdigit() and 0 <= int(text) <= 10):
        errors.append(f"Priority={text}: outside 0..10")
    if tag in ("Command", "UserId") and not text:
        errors.append(f"{tag}: empty")
    for child in element:
        errors += schema_errors(child)
    return errors


def _task(home: PureWindowsPath = WINDOWS_HOME) -> tuple[ET.Element, autostart.Launch]:
    launch = launch_for(home, windows=True, interpreter=PYTHON)
    text = task_xml(launch, user=USER, home=home)
    # As schtasks reads it: UTF-16 with its byte order mark, the declaration saying so.
    assert text.startswith('<?xml version="1.0" encoding="UTF-16"?>')
    return ET.fromstring(text.encode("utf-16")), launch


def _find(root: ET.Element, path: str) -> ET.Element:
    found = root.find("/".join(f"{{{TASK_NS}}}{part}" for part in path.split("/")))
    assert found is not None, path
    return found


def test_the_task_follows_the_task_scheduler_schema() -> None:
    root, _launch = _task()
    assert root.tag == f"{{{TASK_NS}}}Task"
    assert root.get("version") == "1.2"
    assert schema_errors(root) == []


def test_the_task_starts_the_till_at_the_users_logon_and_restarts_it() -> None:
    root, _launch = _task()
    assert _find(root, "Triggers/LogonTrigger/UserId").text == USER
    assert _find(root, "Triggers/LogonTrigger/Enabled").text == "true"
    assert _find(root, "Principals/Principal/UserId").text == USER
    assert _find(root, "Principals/Principal/LogonType").text == "InteractiveToken"
    assert _find(root, "Principals/Principal/RunLevel").text == "LeastPrivilege"
    assert _find(root, "Settings/ExecutionTimeLimit").text == "PT0S"  # no time limit
    assert _find(root, "Settings/RestartOnFailure/Interval").text == "PT1M"
    assert _find(root, "Settings/DisallowStartIfOnBatteries").text == "false"
    assert _find(root, "Settings/StopIfGoingOnBatteries").text == "false"


def test_the_task_runs_pythonw_with_the_home_quoted() -> None:
    root, launch = _task()
    # pythonw: no console window.
    assert _find(root, "Actions/Exec/Command").text == PYTHON.replace("python.exe", "pythonw.exe")
    arguments = _find(root, "Actions/Exec/Arguments").text or ""
    assert arguments == (r'-m comptoir start --home "C:\Users\Zoé\Documents\Caisse du Marché"')
    assert windows_split(arguments) == ["-m", "comptoir", "start", "--home", str(WINDOWS_HOME)]
    assert _find(root, "Actions/Exec/WorkingDirectory").text == launch.directory


def test_a_home_with_xml_and_command_line_characters_survives_both() -> None:
    home = PureWindowsPath(r"D:\Caisse & <Cie> 'Zoé' 100% ; (1)")
    root, _launch = _task(home)
    arguments = _find(root, "Actions/Exec/Arguments").text or ""
    assert windows_split(arguments)[-1] == str(home)
    assert str(home) in (_find(root, "RegistrationInfo/Description").text or "")


@given(st.lists(st.text(st.sampled_from('ab \\"é\t'), max_size=8)))
@example([r"C:\caisse\\", 'a\\"b', "", " "])
def test_windows_quoting_round_trips(args: list[str]) -> None:
    assert windows_split(" ".join(windows_quote(a) for a in args)) == args


def test_a_home_with_a_control_character_is_refused() -> None:
    launch = launch_for(PureWindowsPath("C:\\caisse\n1"), windows=True, interpreter=PYTHON)
    with pytest.raises(ComptoirError, match="caractère de contrôle"):
        task_xml(launch, user=USER, home=PureWindowsPath("C:\\caisse\n1"))


# -- the systemd user unit ------------------------------------------------------------------

TRICKY = 'caisse du Marché "Zoé" 100% $HOME \\ ;'


def _unescape_exec_start(line: str) -> list[str]:
    """ExecStart's words as systemd reads them, for the escapes systemd_quote writes."""
    words = re.findall(r'"((?:[^"\\]|\\.)*)"', line.removeprefix("ExecStart="))
    return [re.sub(r"\\(.)", r"\1", w).replace("%%", "%").replace("$$", "$") for w in words]


def test_the_unit_runs_the_till_for_this_home_and_restarts_it(tmp_path: Path) -> None:
    home = tmp_path / TRICKY
    unit = systemd_unit(launch_for(home, windows=False), home=home)
    lines = unit.splitlines()
    exec_start = next(line for line in lines if line.startswith("ExecStart="))
    assert _unescape_exec_start(exec_start) == [
        sys.executable,
        "-m",
        "comptoir",
        "start",
        "--home",
        str(home),
        "--no-browser",
    ]
    assert "Restart=on-failure" in lines
    assert "WantedBy=default.target" in lines
    assert "100%%" in exec_start
    assert "$$HOME" in exec_start


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent")
@pytest.mark.parametrize("folder", ["caisse", TRICKY])
def test_systemd_accepts_the_unit(tmp_path: Path, folder: str) -> None:
    home = tmp_path / folder
    home.mkdir()
    unit = tmp_path / autostart.UNIT_NAME
    unit.write_text(systemd_unit(launch_for(home, windows=False), home=home), encoding="utf-8")
    # System mode: the user mode needs a session's runtime directory, which CI may lack;
    # the unit's syntax, specifiers and quoting are read the same.
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert autostart.UNIT_NAME not in result.stderr  # not even a warning about it


# -- registering, with a stand-in systemctl -------------------------------------------------


@pytest.fixture
def systemctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``systemctl`` first on PATH that logs its arguments and exits with the code in
    ``systemctl.rc``; the user's configuration in ``tmp_path``."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the systemd unit is Linux's")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "systemctl"
    script.write_text(
        '#!/bin/sh\necho "$@" >> "$(dirname "$0")/calls"\n'
        'exit "$(cat "$(dirname "$0")/rc" 2>/dev/null || echo 0)"\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return bin_dir


def test_install_then_remove_registers_and_unregisters_the_unit(
    systemctl: Path, tmp_path: Path
) -> None:
    plan = plan_for(tmp_path / "caisse")
    assert plan.path == tmp_path / "config" / "systemd" / "user" / autostart.UNIT_NAME
    autostart.install(plan)
    assert plan.path.read_text(encoding="utf-8") == plan.text
    assert autostart.registered(plan) == autostart.Registered(installed=True, for_this_home=True)
    assert autostart.registered(plan_for(tmp_path / "autre")).for_this_home is False
    assert autostart.remove(plan) is True
    assert not plan.path.exists()
    assert autostart.remove(plan) is False
    assert (systemctl / "calls").read_text().splitlines() == [
        "--user daemon-reload",
        f"--user enable --now {autostart.UNIT_NAME}",
        f"--user disable --now {autostart.UNIT_NAME}",
        "--user daemon-reload",
    ]


def test_a_failed_install_leaves_nothing_half_written(systemctl: Path, tmp_path: Path) -> None:
    plan = plan_for(tmp_path / "caisse")
    unit = plan.path
    assert unit is not None
    (systemctl / "rc").write_text("1")
    with pytest.raises(ComptoirError, match="a échoué"):
        autostart.install(plan)
    assert not unit.exists()
    # A unit installed before (another home) is put back as it was.
    unit.parent.mkdir(parents=True, exist_ok=True)
    unit.write_text("[Unit]\nDescription=avant\n", encoding="utf-8")
    with pytest.raises(ComptoirError):
        autostart.install(plan)
    assert unit.read_text(encoding="utf-8") == "[Unit]\nDescription=avant\n"
