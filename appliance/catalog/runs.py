"""Runs: tuning runs and baselines, their checkpoints, and the one state machine they follow.

This module alone holds the SQL of the ``runs`` and ``run_checkpoints`` tables. Reads take a
``Workspace`` or a connection; every write takes the connection of the caller's
``Workspace.transaction`` block (``BEGIN IMMEDIATE``) and refuses to run outside one, so the change
commits with its audit entry or not at all.

Run ids are ``run-NNNN-<method>`` with NNNN the number of runs so far plus one. ``create`` counts
*inside* the write transaction: ``BEGIN IMMEDIATE`` holds the database's write lock from its first
statement, so a second creator waits for the first to commit and then counts its run too. (Counting
before the transaction let two jobs started together take the same number.)

The state machine
-----------------
A run has two columns that together are its state: ``status``, how its job went, and ``state``, where
it stands in the model registry. The value sets do not overlap, so ``transition(run, to)`` takes
either; it is the only place a move is checked, and every write below goes through it.

``status`` (the job)::

    running ──▶ done          training finished and its artifact is sealed
    running ──▶ cancelled     stopped by the user at a checkpoint boundary
    running ──▶ failed        the job raised (only a running run is marked failed)
    running, failed, cancelled ──▶ running     resume (``running`` again after a crash left it so)
    done: final

``state`` (the registry)::

    candidate   a run being trained, or one that stopped before finishing (the column's default)
    trained     finished with status done: a tuned run on completion, a baseline when it is created
    evaluated   held-out metrics and the privacy audit are stored with it
    approved    a reviewer who did not train it approved it (an ``approvals`` row names it)
    exported    an export of it was delivered
    rejected    a reviewer rejected it

    candidate ──▶ trained                    with running ──▶ done (the same write)
    candidate, trained, evaluated ──▶ evaluated        needs status done
    evaluated ──▶ approved
    approved, exported ──▶ exported
    any state ──▶ rejected                   a reviewer may reject a run at any point

Consequences spelled out: storing an evaluation on an approved, exported or rejected run keeps its
state (``record_evaluation``); a run rejected while it trains stays rejected when training completes
(its status still becomes done); nothing leaves ``rejected`` except by rejecting it again; a baseline
is created ``done``/``trained`` and a tuning run ``running``/``candidate`` (``create``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, Literal, NewType, cast

from appliance.catalog.base import Source, first, found, loads, now, reader, writer
from appliance.errors import ApplianceError
from appliance.store.db import Connection

RunId = NewType("RunId", str)
Status = Literal["running", "done", "failed", "cancelled"]
State = Literal["candidate", "trained", "evaluated", "approved", "exported", "rejected"]
STATUSES: tuple[Status, ...] = ("running", "done", "failed", "cancelled")
STATES: tuple[State, ...] = ("candidate", "trained", "evaluated", "approved", "exported", "rejected")

_STATUS_MOVES: dict[str, frozenset[str]] = {
    "running": frozenset({"running", "done", "cancelled", "failed"}),
    "failed": frozenset({"running"}),
    "cancelled": frozenset({"running"}),
    "done": frozenset(),
}
_STATE_MOVES: dict[str, frozenset[str]] = {
    "candidate": frozenset({"evaluated", "rejected"}),  # -> trained only with status done, below
    "trained": frozenset({"evaluated", "rejected"}),
    "evaluated": frozenset({"evaluated", "approved", "rejected"}),
    "approved": frozenset({"exported", "rejected"}),
    "exported": frozenset({"exported", "rejected"}),
    "rejected": frozenset({"rejected"}),
}

_SELECT = ("SELECT run_id, method, task, base_model, snapshot_id, config, status, state, created, created_by, ended,"
           " result, artifact_blob, evaluation FROM runs")


class IllegalTransition(ApplianceError):
    """A move the state machine of the module docstring does not allow."""


@dataclass(frozen=True)
class Run:
    """One row of ``runs``; the JSON columns decoded. Change it only through this module's writes."""

    run_id: RunId
    method: str
    task: str
    base_model: str
    snapshot_id: str
    config: dict[str, Any]  # {"request": ..., and once known "tune"/"task" or the baseline's settings}
    status: Status
    state: State
    created: str
    created_by: str
    ended: str | None
    result: dict[str, Any] | None  # the job's figures (steps, losses, seconds, ...)
    artifact_blob: str | None  # sealed adapter or weights; None for baselines and unfinished runs
    evaluation: dict[str, Any] | None  # held-out metrics and privacy audit


@dataclass(frozen=True)
class Checkpoint:
    run_id: RunId
    step: int
    blob_id: str
    created: str


def _writing(tx: Connection) -> Connection:
    return writer(tx, "runs")


def _from_row(row: tuple[Any, ...]) -> Run:
    return Run(RunId(row[0]), row[1], row[2], row[3], row[4], loads(row[5]) or {}, row[6], row[7], row[8], row[9],
               row[10], loads(row[11]), row[12], loads(row[13]))


# -- reading -----------------------------------------------------------------------------------


def find(source: Source, run_id: str) -> Run | None:
    return first(source, _SELECT + " WHERE run_id = ?", (run_id,), _from_row)


def get(source: Source, run_id: str) -> Run:
    """The run ``run_id``; ``InvalidInput`` (exit 5) when there is none."""
    return found(find(source, run_id), f"no run '{run_id}' in this workspace")


def list_runs(source: Source, *, evaluated: bool = False) -> list[Run]:
    """Every run (only those with a stored evaluation if ``evaluated``), oldest first."""
    where = " WHERE evaluation IS NOT NULL" if evaluated else ""
    rows = reader(source).execute(_SELECT + where + " ORDER BY created, run_id").fetchall()
    return [_from_row(r) for r in rows]


def checkpoints(source: Source, run_id: str) -> list[Checkpoint]:
    """The run's sealed checkpoints, lowest step first."""
    rows = reader(source).execute("SELECT run_id, step, blob_id, created FROM run_checkpoints WHERE run_id = ?"
                                 " ORDER BY step", (run_id,)).fetchall()
    return [Checkpoint(RunId(r[0]), int(r[1]), r[2], r[3]) for r in rows]


def latest_checkpoint(source: Source, run_id: str) -> Checkpoint | None:
    found = checkpoints(source, run_id)
    return found[-1] if found else None


# -- the state machine -------------------------------------------------------------------------


def transition(run: Run, to: str) -> Run:
    """``run`` moved to ``to`` (a status or a state), or ``IllegalTransition`` naming the move.

    Moving to ``done`` also makes a ``candidate`` run ``trained``: the two happen together.
    """
    if to in STATUSES:
        if to not in _STATUS_MOVES[run.status]:
            raise IllegalTransition(f"run '{run.run_id}' is {run.status}; it cannot become {to}")
        state: State = "trained" if to == "done" and run.state == "candidate" else run.state
        return dataclasses.replace(run, status=cast(Status, to), state=state)
    if to in STATES:
        legal = to in _STATE_MOVES[run.state]
        if to != "rejected" and run.status != "done":
            legal = False  # only a finished run is evaluated, approved or exported
        if not legal:
            raise IllegalTransition(f"run '{run.run_id}' is {run.state} (status {run.status}); it cannot become {to}")
        return dataclasses.replace(run, state=cast(State, to))
    raise IllegalTransition(f"'{to}' is not a run status ({', '.join(STATUSES)}) or state ({', '.join(STATES)})")


# -- writing (inside the caller's transaction) -------------------------------------------------


def create(tx: Connection, *, method: str, task: str, base_model: str, snapshot_id: str,
           config: dict[str, Any], created_by: str, result: dict[str, Any] | None = None) -> Run:
    """Allocate the next run id and insert the run, in the caller's write transaction.

    Without ``result`` the run is a tuning run starting now (``running``/``candidate``); with it, a
    baseline that already ran (``done``/``trained``, ended now, ``result`` its figures).
    """
    _writing(tx)
    number = tx.execute("SELECT count(*) FROM runs").fetchone()[0] + 1
    started = now()
    run = Run(RunId(f"run-{number:04d}-{method}"), method, task, base_model, snapshot_id, config,
              "running", "candidate", started, created_by, None, None, None, None)
    if result is not None:
        run = dataclasses.replace(transition(run, "done"), ended=started, result=result)
    tx.execute("INSERT INTO runs (run_id, method, task, base_model, snapshot_id, config, status, state, created,"
               " created_by, ended, result, artifact_blob, evaluation) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
               (run.run_id, run.method, run.task, run.base_model, run.snapshot_id, _config_json(run.config),
                run.status, run.state, run.created, run.created_by, run.ended,
                None if run.result is None else _result_json(run.result), None, None))
    return run


def set_config(tx: Connection, run_id: str, config: dict[str, Any]) -> Run:
    """Store the run's resolved settings (request, training and task configs) once they are known."""
    return _save(tx, dataclasses.replace(get(_writing(tx), run_id), config=config))


def resume(tx: Connection, run_id: str) -> Run:
    return _save(tx, transition(get(_writing(tx), run_id), "running"))


def cancel(tx: Connection, run_id: str, result: dict[str, Any]) -> Run:
    run = transition(get(_writing(tx), run_id), "cancelled")
    return _save(tx, dataclasses.replace(run, ended=now(), result=result))


def complete(tx: Connection, run_id: str, result: dict[str, Any], artifact_blob: str) -> Run:
    """Training finished: status ``done``, state ``trained``, its figures and its sealed artifact."""
    run = transition(get(_writing(tx), run_id), "done")
    return _save(tx, dataclasses.replace(run, ended=now(), result=result, artifact_blob=artifact_blob))


def fail(tx: Connection, run_id: str) -> Run:
    """Mark a running run failed; a run in any other status is left as it is (and returned)."""
    run = get(_writing(tx), run_id)
    if run.status != "running":
        return run
    return _save(tx, dataclasses.replace(transition(run, "failed"), ended=now()))


def record_evaluation(tx: Connection, run_id: str, evaluation: dict[str, Any]) -> Run:
    """Store an evaluation; a candidate, trained or evaluated run becomes ``evaluated``, others keep their state."""
    run = get(_writing(tx), run_id)
    if run.state in ("candidate", "trained", "evaluated"):
        run = transition(run, "evaluated")
    return _save(tx, dataclasses.replace(run, evaluation=evaluation))


def move(tx: Connection, run_id: str, to: State) -> Run:
    """A registry move with nothing else to store: ``approved``, ``rejected`` or ``exported``."""
    return _save(tx, transition(get(_writing(tx), run_id), to))


def add_checkpoint(tx: Connection, run_id: str, step: int, blob_id: str) -> None:
    _writing(tx).execute("INSERT OR REPLACE INTO run_checkpoints (run_id, step, blob_id, created)"
                         " VALUES (?,?,?,?)", (run_id, step, blob_id, now()))


def drop_checkpoint(tx: Connection, run_id: str, step: int) -> None:
    _writing(tx).execute("DELETE FROM run_checkpoints WHERE run_id = ? AND step = ?", (run_id, step))


def _config_json(config: dict[str, Any]) -> str:
    return json.dumps(config, sort_keys=True, default=list)


def _result_json(value: dict[str, Any]) -> str:
    return json.dumps(value, default=str)


def _save(tx: Connection, run: Run) -> Run:
    """Write the mutable columns of ``run`` (everything but its identity and creation)."""
    tx.execute("UPDATE runs SET config = ?, status = ?, state = ?, ended = ?, result = ?, artifact_blob = ?,"
               " evaluation = ? WHERE run_id = ?",
               (_config_json(run.config), run.status, run.state, run.ended,
                None if run.result is None else _result_json(run.result), run.artifact_blob,
                None if run.evaluation is None else _result_json(run.evaluation), run.run_id))
    return run
