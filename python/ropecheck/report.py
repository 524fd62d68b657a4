"""GradeReport: the report of `ropecheck grade` (kernels/vectors/grade_report.hpp) as objects."""
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Site:
    """One output: where it sits, its pair's inputs, what came out and what was expected
    (values as exact C99 hex floats, as the report prints them)."""
    token: int
    head: int
    channel: int
    position: int
    pair: Optional[int]
    x_a: str
    x_b: str
    got: str
    expected: str

    @classmethod
    def from_json(cls, site):
        if site is None:
            return None
        return cls(site["token"], site["head"], site["channel"], site["position"], site["pair"],
                   site["x_a"], site["x_b"], site["got"], site["expected"])


@dataclass(frozen=True)
class Band:
    """One position band [lo, hi): the worst error relative to the pair norm and where."""
    lo: int
    hi: int
    pairs: int
    max_rel_err: Optional[float]
    worst: Optional[Site]


class GradeReport:
    """passed, margin, bands, safe_up_to, behaves_like, worst; str() is the report's text."""

    def __init__(self, text, data, replay=""):
        self.text = text
        self.json = data
        self.replay = replay
        self.passed = bool(data["passed"])
        self.bound = data["bound"]
        self.dtype = data["dtype"]
        self.compared = data["compared"]
        self.exact = data["exact"]
        self.violations = data["violations"]
        self.max_ulp = data["max_ulp"]
        # measured / allowed at the worst output (<= 1 passes); None for an exact bound.
        self.margin = data["margin"]
        self.worst = Site.from_json(data["worst"])
        self.first_violation = Site.from_json(data["first_violation"])
        self.bands = [Band(b["lo"], b["hi"], b["pairs"],
                           b["max_rel_err"]["error"] if b["max_rel_err"] else None,
                           Site.from_json(b["max_rel_err"]["site"]) if b["max_rel_err"] else None)
                      for b in data["bands"]]
        # threshold -> the largest graded position up to which every position stays within it
        # (None: not even the first), and threshold -> the first position over it (None: none).
        self.safe_up_to = {s["threshold"]: s["safe_up_to"] for s in data["safe_up_to"]}
        self.first_over = {s["threshold"]: s["first_over"] for s in data["safe_up_to"]}
        # The registered implementation computing most outputs bit for bit as the kernel does.
        self.behaves_like = data["closest"]
        self.behaves_like_all = data["behaves_like"]
        # The audit's schema (spec/audit.md; the kernel is implementation "kernel"): per band the
        # audit's statistics of the outputs whose pair inputs lie in [-1, 1], and threshold ->
        # the audit's safe position on their absolute error.
        self.results = data["results"]
        self.safe_position = {float(t): p for t, p in data["safe_position"]["kernel"].items()}

    def __bool__(self):
        return self.passed

    def __str__(self):
        return self.text + (f"replay: {self.replay}\n" if self.replay else "")

    def __repr__(self):
        return (f"<GradeReport {'PASS' if self.passed else 'FAIL'} bound={self.bound!r} "
                f"margin={self.margin!r} behaves_like={self.behaves_like!r}>")
