"""hyperdial.visualization.report, Study.report and ``hyperdial report``: one self-contained HTML
file.

Fast lane: the page's structure (one figure per ``data-figures``, plotly.js inlined once, no
reference to anything outside the file), HTML escaping of the study's strings, every kind of
study (empty, one trial, all failed, pruned only, conditional, constrained, two and three
objectives), the matplotlib fallback, and the command line's exit codes.

Slow lane: the files are opened in a real headless Chromium (Debian's ``chromium`` and
``chromium-driver``, driven by Selenium) with the network cut, and the test checks that every
figure is drawn, that the console has no error and that the page made no request; a page that
loads plotly.js from a CDN must be flagged by the same check. Under CI (``CI=true``) a missing
browser fails the test instead of skipping it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hyperdial
from hyperdial.samplers import RandomSampler
from hyperdial.trial import TrialState

pytest.importorskip("plotly")
pytest.importorskip("matplotlib")

import matplotlib

matplotlib.use("Agg")

import hyperdial.visualization as vis
from hyperdial.visualization import _report

XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'


# -- studies --------------------------------------------------------------------------------------
def _conditional(trial: hyperdial.Trial) -> float:
    model = trial.suggest_categorical("model", ["linear", "tree"])
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    if model == "linear":
        extra = trial.suggest_float("alpha", 0.0, 1.0)
    else:
        extra = trial.suggest_int("depth", 1, 8) / 8
    value = 0.0
    for step in range(3):
        value = (np.log10(lr) + 2.5) ** 2 + extra + 1.0 / (step + 1)
        trial.report(value, step)
        if trial.should_prune():
            raise hyperdial.TrialPruned()
    return value


def _make(kind: str) -> hyperdial.Study:
    hyperdial.logging.set_verbosity(30)
    if kind == "conditional":
        study = hyperdial.create_study(
            sampler=RandomSampler(seed=1),
            pruner=hyperdial.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1),
        )
        study.optimize(_conditional, n_trials=25)
        return study
    if kind == "constrained":

        def objective(trial: hyperdial.Trial) -> float:
            x = trial.suggest_float("x", -2, 2)
            y = trial.suggest_float("y", -2, 2)
            trial.set_constraint("circle", x * x + y * y - 2.0)
            return x + y

        study = hyperdial.create_study(sampler=RandomSampler(seed=2), direction="maximize")
        study.optimize(objective, n_trials=20)
        return study
    if kind in ("multi", "multi3"):
        n_obj = 2 if kind == "multi" else 3

        def multi(trial: hyperdial.Trial) -> tuple[float, ...]:
            x = [trial.suggest_float(f"x{i}", 0, 1) for i in range(2)]
            if n_obj == 2:
                trial.set_constraint("c", x[0] - 0.8)
            vals = (x[0], 1 - x[0] * x[1], (x[1] - 0.5) ** 2)
            return vals[:n_obj]

        study = hyperdial.create_study(
            directions=["minimize"] * (n_obj - 1) + ["maximize"], sampler=RandomSampler(seed=3)
        )
        if n_obj == 2:
            study.set_metric_names(["error", "speed"])
        study.optimize(multi, n_trials=20)
        return study
    study = hyperdial.create_study(sampler=RandomSampler(seed=0))
    if kind == "empty":
        return study
    if kind == "one":
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
        return study
    for _ in range(3):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        trial.report(0.5, 0)
        study.tell(trial, state=TrialState.FAIL if kind == "failed" else TrialState.PRUNED)
    return study


# Three objectives (a 3-D Pareto front) are in the slow lane's browser test.
KINDS = ["empty", "one", "failed", "pruned", "conditional", "constrained", "multi"]


_PLOTLY_JS = '<script type="text/javascript">'


def _without_plotly_js(page: str) -> str:
    """The page with the inlined plotly.js (the first script, megabytes) cut to ``…``."""
    start = page.index(_PLOTLY_JS) + len(_PLOTLY_JS)
    return page[:start] + "…" + page[page.index("</script>", start) :]


@pytest.fixture(scope="module")
def full_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each kind's report (plotly), written once for the module's tests."""
    out = {}
    folder = tmp_path_factory.mktemp("reports")
    for kind in KINDS:
        path = vis.report(_make(kind), folder / f"{kind}.html")
        out[kind] = path.read_text(encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def reports(full_reports: dict[str, str]) -> dict[str, str]:
    """The reports without plotly.js, quicker to search."""
    return {kind: _without_plotly_js(page) for kind, page in full_reports.items()}


# -- what a page refers to outside itself ---------------------------------------------------------
_URL_ATTRS = {"src", "href", "data", "poster", "action", "formaction", "srcset", "background"}
_LOCAL = re.compile(r"^\s*(data:|#|$)", re.IGNORECASE)
_CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])\s*([^'")\s]+)""", re.IGNORECASE)


class _References(HTMLParser):
    """Collects every URL the page's tags and inline styles refer to, other than ``data:`` URIs
    and in-page anchors. Script bodies are not parsed as markup (plotly.js holds URLs in
    strings that it never fetches here); what the scripts fetch is the browser test's job."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in _URL_ATTRS and value is not None and not _LOCAL.match(value):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name == "style" and value:
                self._css(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data)

    def _css(self, text: str) -> None:
        self.found += [f"css {u!r}" for u in _CSS_URL.findall(text) if not _LOCAL.match(u)]


def external_references(page: str) -> list[str]:
    parser = _References()
    parser.feed(page)
    parser.close()
    return parser.found


CDN_PAGES = {
    "cdn-script": '<script src="https://cdn.plot.ly/plotly-2.35.2.min.js"></script>',
    "cdn-script-schemeless": '<script src="//cdn.plot.ly/plotly-2.35.2.min.js"></script>',
    "stylesheet": '<link rel="stylesheet" href="http://example.org/report.css">',
    "image": '<img src="https://example.org/plot.png">',
    "css-import": "<style>@import 'https://example.org/font.css';</style>",
    "css-url": "<style>body { background: url(https://example.org/bg.png) }</style>",
}


@pytest.mark.parametrize("name", sorted(CDN_PAGES))
def test_the_reference_check_flags_an_outside_resource(name: str) -> None:
    page = f"<!DOCTYPE html><html><head>{CDN_PAGES[name]}</head><body></body></html>"
    assert external_references(page), name


# -- the page -------------------------------------------------------------------------------------
def _n_figures(page: str) -> int:
    m = re.search(r'<body data-figures="(\d+)"', page)
    assert m is not None
    return int(m.group(1))


def _notes(page: str) -> list[str]:
    return [html.unescape(n) for n in re.findall(r'<p class="note">(.*?)</p>', page)]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_study_gives_a_self_contained_page(
    full_reports: dict[str, str], reports: dict[str, str], kind: str
) -> None:
    assert external_references(full_reports[kind]) == []
    # plotly.js inlined once, in the head, and nothing else of that size.
    assert full_reports[kind].count("plotly.js v") == 1
    assert len(full_reports[kind]) - len(reports[kind]) > 1_000_000
    page = reports[kind]
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.index(_PLOTLY_JS) < page.index("</head>")
    assert 'http-equiv="Content-Security-Policy"' in page
    assert len(re.findall(r"<script\b", page)) == 1 + _n_figures(page)
    assert page.count('class="plotly-graph-div"') == _n_figures(page)
    assert page.count("Plotly.newPlot(") == _n_figures(page)
    for anchor in ("summary", "best", "importance", "plots"):
        assert f'<section id="{anchor}">' in page
    assert "Traceback" not in page
    assert not any("could not be drawn" in n for n in _notes(page)), _notes(page)


def test_a_study_with_nothing_to_plot_says_so(reports: dict[str, str]) -> None:
    for kind in ("empty", "failed", "pruned"):
        notes = " ".join(_notes(reports[kind]))
        assert "No trial is completed" in notes, kind
        assert "No importances" in notes, kind
        assert "No completed trial: nothing to plot" in notes, kind
    assert _n_figures(reports["empty"]) == 0
    assert "No trial has started" in " ".join(_notes(reports["empty"]))
    # The failed and pruned trials still have a timeline; the pruned ones learning curves.
    assert _n_figures(reports["failed"]) == 2
    assert 'data-figure="timeline"' in reports["pruned"]
    assert 'data-figure="intermediate"' in reports["pruned"]
    assert "3 pruned" in reports["pruned"] and "3 fail" in reports["failed"]


def test_one_trial_has_a_best_trial_and_no_importances(reports: dict[str, str]) -> None:
    page = reports["one"]
    assert "<th>Best trial</th>" in page
    assert "at least 2 needed" in " ".join(_notes(page))
    assert 'data-figure="history-0"' in page


def test_the_figures_suit_the_study(reports: dict[str, str]) -> None:
    def figures(kind: str) -> set[str]:
        return set(re.findall(r'data-figure="([\w-]+)"', reports[kind]))

    single = {"history-0", "slice-0", "contour-0", "parallel-0", "rank-0", "edf-0"}
    assert figures("conditional") == single | {"importances-0", "intermediate", "timeline"}
    assert figures("constrained") == single | {"importances-0", "timeline"}
    per_objective = {f"{p}-{k}" for p in ("history", "slice", "contour", "parallel", "rank", "edf",
                                          "importances") for k in range(2)}  # fmt: skip
    assert figures("multi") == per_objective | {"pareto-front", "hypervolume", "timeline"}


def test_summary_and_best_trials(reports: dict[str, str]) -> None:
    cond = reports["conditional"]
    assert "<b>Trials</b></td><td>25 (" in cond and "pruned" in cond
    assert "<b>Sampler</b></td><td>RandomSampler" in cond
    assert "<b>Pruner</b></td><td>MedianPruner" in cond
    assert "<b>Duration</b>" in cond
    assert "<b>Feasible</b></td><td>" in reports["constrained"]
    multi = reports["multi"]
    assert "minimize (error), maximize (speed)" in multi
    assert "The Pareto set:" in multi and "<th>error</th><th>speed</th>" in multi
    assert "Hypervolume reference point" in multi


def test_importances_come_with_their_uncertainty(reports: dict[str, str]) -> None:
    page = reports["constrained"]
    table = page[page.index('<section id="importance">') : page.index('<section id="plots">')]
    assert "<th>Importance</th><th>± std</th><th>Total Sobol' index</th><th>± std</th>" in table
    rows = re.findall(
        r"<tr><td>\d+</td><td><code>(\w+)</code></td>((?:<td[^>]*>[^<]*</td>)+)", table
    )
    assert sorted(r[0] for r in rows) == ["x", "y"]
    for _, cells in rows:
        importance, std, _, index_std = (float(c) for c in re.findall(r">([\d.]+)<", cells))
        assert 0 <= importance <= 1 and std >= 0 and index_std >= 0
    # The error bars are drawn on the importance figure.
    assert '"error_x":{"array"' in page or '"error_x": {"array"' in page


def test_user_strings_are_escaped(tmp_path: Path) -> None:
    study = hyperdial.create_study(study_name=XSS, sampler=RandomSampler(seed=0))
    study.set_user_attr(XSS, XSS)

    def objective(trial: hyperdial.Trial) -> float:
        trial.set_user_attr("note", XSS)
        c = trial.suggest_categorical("c", [XSS, "plain"])
        return trial.suggest_float(XSS, 0, 1) + (c == "plain")

    study.optimize(objective, n_trials=6)
    page = vis.report(study, tmp_path / "r.html", title=XSS).read_text(encoding="utf-8")
    assert "<script>window.__xss" not in page and "<img src=x" not in page
    assert html.escape(XSS) in page  # title, study name, parameter, attributes
    assert external_references(page) == []


@pytest.mark.parametrize(
    "kind", ["pruned", pytest.param("multi", marks=pytest.mark.slow)]
)  # matplotlib draws a figure in about as long as plotly builds ten
def test_matplotlib_fallback_embeds_pngs(tmp_path: Path, kind: str) -> None:
    page = vis.report(_make(kind), tmp_path / "r.html", engine="matplotlib").read_text()
    n = _n_figures(page)
    assert n == page.count('src="data:image/png;base64,') > 0
    assert "<script" not in page and 'data-engine="matplotlib"' in page
    assert external_references(page) == []
    assert not any("could not be drawn" in x for x in _notes(page))


def test_without_a_plotting_library_the_tables_remain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("plotly", "matplotlib") else real(name, *a),
    )
    page = vis.report(_make("constrained"), tmp_path / "r.html").read_text()
    assert _n_figures(page) == 0 and "<script" not in page
    assert "neither plotly nor matplotlib is installed" in page
    assert "<th>Best trial</th>" in page and "± std" in page
    with pytest.raises(ImportError, match="needs plotly"):
        vis.report(_make("one"), tmp_path / "r.html", engine="plotly")


def test_a_figure_that_fails_leaves_a_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom <b>")

    monkeypatch.setattr(vis, "plot_slice", broken)
    page = vis.report(_make("constrained"), tmp_path / "r.html").read_text()
    assert "The slice plot could not be drawn: RuntimeError: boom <b>" in _notes(page)
    assert "boom <b>" not in page  # escaped
    assert 'data-figure="contour-0"' in page and 'data-figure="slice-0"' not in page


def test_large_studies_are_subsampled(tmp_path: Path) -> None:
    study = hyperdial.create_study(sampler=RandomSampler(seed=4))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=60)
    trials = study.get_trials(deepcopy=False)
    sub, n = _report._subsample(study, trials, [study.best_trial], 10)
    kept = sub.get_trials(deepcopy=False)
    assert n == len(kept) == 10
    assert study.best_trial.number in {t.number for t in kept}
    assert [t.number for t in kept] == sorted(t.number for t in kept)
    assert _report._subsample(study, trials, [], 60)[0] is study
    page = vis.report(study, tmp_path / "r.html", max_points=10).read_text()
    assert "show a random 10 of the 60 trials" in " ".join(_notes(page))


def test_study_report_and_bad_arguments(tmp_path: Path) -> None:
    study = _make("one")
    assert study.report(tmp_path / "r.html", max_points=5) == tmp_path / "r.html"
    assert 'data-engine="plotly"' in (tmp_path / "r.html").read_text()
    with pytest.raises(ValueError, match="`engine` must be one of"):
        study.report(tmp_path / "r.html", engine="svg")
    with pytest.raises(ValueError, match="`max_points` must be a positive integer"):
        study.report(tmp_path / "r.html", max_points=0)
    with pytest.raises(ValueError, match="does not exist"):
        study.report(tmp_path / "missing" / "r.html")


# -- the command line -----------------------------------------------------------------------------
def test_cli_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sqlalchemy")
    from hyperdial.cli import main

    url = f"sqlite:///{tmp_path / 's.db'}"
    study = hyperdial.create_study(storage=url, study_name="demo", sampler=RandomSampler(seed=0))
    study.optimize(
        lambda t: t.suggest_float("x", 0, 1) ** 2 + t.suggest_int("n", 0, 2), n_trials=8
    )
    out = tmp_path / "report.html"
    argv = ["report", "--storage", url, "--study-name", "demo", "--output", str(out)]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == {"output": str(out), "n_trials": 8}
    page = out.read_text()
    assert "hyperdial report: demo" in page and _n_figures(page) > 0
    assert "<b>Sampler</b>" not in page  # the loader's default, not the sampler that ran

    def error(*args: str) -> str:
        assert main(list(args)) == 1
        err = capsys.readouterr().err
        assert err.startswith("hyperdial report: error:") and err.count("\n") == 1
        return err

    assert "nope" in error(*argv[:4], "nope", *argv[5:])
    assert "does not exist" in error(*argv[:-1], str(tmp_path / "no" / "r.html"))
    assert "cannot write" in error(*argv[:-1], str(tmp_path))  # a folder
    assert "no database" in error("report", "--storage", f"sqlite:///{tmp_path / 'x.db'}",
                                  *argv[3:])  # fmt: skip
    assert not (tmp_path / "x.db").exists()
    secret = "postgresql+psycopg://user:hunter2@127.0.0.1:9/db"
    pytest.importorskip("psycopg")
    err = error("report", "--storage", secret, *argv[3:])
    assert "hunter2" not in err and "***" in err
    with pytest.raises(SystemExit) as e:
        main(["report", "--storage", url, "--study-name", "demo"])  # no --output
    assert e.value.code == 2


# -- a real browser, offline ----------------------------------------------------------------------
_CHROMIUM = "/usr/bin/chromium"
_CHROMEDRIVER = "/usr/bin/chromedriver"

# A page is done when every figure is drawn (plotly sets ``_fullLayout`` and draws its
# ``.main-svg`` layers; an image is decoded) or after this many seconds.
_RENDER_TIMEOUT = 60.0

_RENDER_STATE = """
const plots = [...document.querySelectorAll('.plotly-graph-div')];
const images = [...document.querySelectorAll('.plot img')];
return {
  ready: document.readyState,
  expected: Number(document.body ? document.body.dataset.figures : -1),
  plots: plots.length,
  drawn: plots.filter(d => d._fullLayout && d.querySelector('.main-svg')).length
       + images.filter(i => i.complete && i.naturalWidth > 0).length,
  webglMissing: plots.filter(d => /WebGL is not supported/i.test(d.textContent)).length,
  xss: window.__xss === undefined ? null : window.__xss,
  plotly: typeof Plotly !== 'undefined',
};
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium with the network cut: a proxy that does not exist for every host
    (``<-loopback>`` removes the loopback exemption) and DevTools' offline emulation; the
    console and network events are logged for :func:`browser_problems`."""
    missing = [p for p in (_CHROMIUM, _CHROMEDRIVER) if shutil.which(p) is None]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("the selenium package")
    if missing:
        reason = f"the browser test needs {', '.join(missing)} (apt-get install chromium " \
                 "chromium-driver; pip install selenium)"  # fmt: skip
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    options = Options()
    options.binary_location = _CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        "--enable-unsafe-swiftshader",  # WebGL in software, for parcoords and 3-D scatter
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(_CHROMEDRIVER))
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        yield driver
    finally:
        driver.quit()


def browser_problems(driver: Any, path: Path) -> tuple[list[str], dict[str, Any]]:
    """Opens ``path`` and returns what is wrong with the page (figures not drawn, console
    errors, requests other than the file itself, script injection) and its final state."""
    driver.get("about:blank")
    driver.get_log("browser"), driver.get_log("performance")  # drop earlier pages' entries
    url = path.resolve().as_uri()
    driver.get(url)
    deadline = time.monotonic() + _RENDER_TIMEOUT
    while True:
        state: dict[str, Any] = driver.execute_script(_RENDER_STATE)
        # Without plotly.js loaded, a plotly figure is never drawn: no need to wait.
        stuck = state["plots"] > 0 and not state["plotly"]
        done = state["ready"] == "complete" and (state["drawn"] >= state["expected"] or stuck)
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    problems = []
    if state["plots"] and not state["plotly"]:
        problems.append("plotly.js is not loaded")
    if state["expected"] < 0 or state["drawn"] != state["expected"]:
        problems.append(f"{state['drawn']} figure(s) drawn, {state['expected']} expected")
    if state["webglMissing"]:
        problems.append(f"{state['webglMissing']} figure(s) without WebGL")
    if state["xss"] is not None:
        problems.append(f"a script from the study's strings ran (window.__xss = {state['xss']})")
    console = driver.get_log("browser")
    problems += [f"console: {e['message']}" for e in console if e["level"] == "SEVERE"]
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] != "Network.requestWillBeSent":
            continue
        requested = message["params"]["request"]["url"]
        if requested != url and not requested.startswith(("data:", "blob:", "about:")):
            problems.append(f"request: {requested}")
    return problems, state


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["conditional", "multi", "multi3", "pruned", "xss", "mpl"])
def test_report_renders_offline_in_chromium(browser: Any, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "r.html"
    if kind == "xss":
        study = hyperdial.create_study(study_name=XSS, sampler=RandomSampler(seed=0))
        study.optimize(
            lambda t: t.suggest_float(XSS, 0, 1) + (t.suggest_categorical("c", [XSS, "a"]) == "a"),
            n_trials=8,
        )
        vis.report(study, path, title=XSS)
    elif kind == "mpl":
        vis.report(_make("conditional"), path, engine="matplotlib")
    else:
        vis.report(_make(kind), path)
    problems, state = browser_problems(browser, path)
    assert problems == [], problems
    assert state["expected"] > 0
    if kind == "multi3":
        page = path.read_text()
        assert 'data-figure="pareto-front"' in page and 'data-figure="history-2"' in page
        assert not any("could not be drawn" in n for n in _notes(page))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cdn-script", "cdn-script-schemeless", "stylesheet"])
def test_the_browser_check_flags_a_cdn(browser: Any, tmp_path: Path, name: str) -> None:
    """A page that would work online (plotly.js from its CDN) fails the check offline."""
    path = tmp_path / "cdn.html"
    path.write_text(
        f"<!DOCTYPE html><html><head>{CDN_PAGES[name]}</head>"
        '<body data-figures="1"><div class="plot"><div id="p" class="plotly-graph-div"></div>'
        "</div><script>Plotly.newPlot('p', [{y: [1, 2, 3]}]);</script></body></html>"
    )
    problems, _ = browser_problems(browser, path)
    assert any(p.startswith("request: ") and "//" in p for p in problems), problems
    if name != "stylesheet":
        assert any(p.startswith("console: ") for p in problems), problems
        assert "0 figure(s) drawn, 1 expected" in problems


@pytest.mark.slow
def test_a_large_study_gives_a_light_report(browser: Any, tmp_path: Path) -> None:
    """10 000 trials, 6 parameters, reported curves: the page stays small (the per-trial
    figures read a subset) and renders."""
    study = hyperdial.create_study(sampler=RandomSampler(seed=5))

    def objective(trial: hyperdial.Trial) -> float:
        x = [trial.suggest_float(f"x{i}", 0, 1) for i in range(6)]
        trial.report(sum(x), 0)
        return sum(v * v * (i + 1) for i, v in enumerate(x))

    study.optimize(objective, n_trials=10_000)
    path = vis.report(study, tmp_path / "large.html")
    assert path.stat().st_size < 12_000_000
    page = path.read_text()
    assert "show a random 2000 of the 10000 trials" in " ".join(_notes(page))
    problems, _ = browser_problems(browser, path)
    assert problems == [], problems
