"""Accessibility check shared by every browser test: axe-core (WCAG 2.1 A and AA rules)."""

from axe_playwright_python.sync_playwright import Axe

_axe = Axe()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def assert_accessible(page):
    """Run axe-core on the page as it is now and fail with a readable list of violations."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations = results.response["violations"]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in violations
    )
    assert not violations, f"{page.url} : {len(violations)} violation(s) d'accessibilité\n{report}"


def assert_targets_large_enough(page):
    """axe-core's ``target-size`` (WCAG 2.2 AA, 2.5.8): every link and button at least 24 × 24 px
    or far enough from its neighbours."""
    results = _axe.run(page, options={"runOnly": {"type": "rule", "values": ["target-size"]}})
    nodes = [n["target"] for v in results.response["violations"] for n in v["nodes"]]
    assert not nodes, f"{page.url} : cibles trop petites {nodes[:5]}"
