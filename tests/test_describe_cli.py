"""kjob describe: names, name prefixes, job/NAME, -l, -A, --show-events=false and the separators between
objects, held against what kubectl v1.32 printed for the same objects (golden/get/cases.json, see
test_get.py for how it was recorded)."""

from __future__ import annotations

import pytest
from test_get import TABLE_CASES, _golden, argv, as_kjob, fixed_world  # noqa: F401


@pytest.mark.parametrize("case", [c for c in TABLE_CASES if c.startswith("describe")])
def test_describe_matches_kubectl(kjob, fixed_world: dict[str, str], case: str) -> None:  # noqa: F811
    expected = _golden()["cases"][case]
    r = kjob(*argv(case, fixed_world))
    assert (r.stdout, r.stderr, r.exit_code) == (
        as_kjob(expected["stdout"]),
        as_kjob(expected["stderr"]),
        expected["code"],
    )


def test_describe_several_objects_are_two_empty_lines_apart(kjob, fixed_world: dict[str, str]) -> None:  # noqa: F811
    r = kjob("describe", "jobs", "job-a", "job-c10")
    assert (
        "  Normal  Completed  3d    job-controller  Job completed\n\n\nName:           job-c10\n" in r.stdout
    )


def test_describe_by_prefix_ends_each_object_with_an_empty_line(kjob, fixed_world: dict[str, str]) -> None:  # noqa: F811
    r = kjob("describe", "jobs", "job-c")
    assert r.stdout[-len("Events:            <none>\n\n") :] == "Events:            <none>\n\n"
    assert "\n\nName:           job-c9\n" in r.stdout
    assert r.stdout.count("Name:   ") == 2


def test_describe_show_events_false_drops_the_section(kjob, fixed_world: dict[str, str]) -> None:  # noqa: F811
    r = kjob("describe", "job/job-a", "--show-events=false")
    assert "Events:" not in r.stdout and r.exit_code == 0


def test_describe_pod_is_controlled_by_its_job(kjob, fixed_world: dict[str, str]) -> None:  # noqa: F811
    r = kjob("describe", "pod/job-b-q9w8e")
    assert "Controlled By:  Job/job-b\n" in r.stdout
    assert "    State:          Terminated\n      Reason:       Error\n      Exit Code:    1\n" in r.stdout
