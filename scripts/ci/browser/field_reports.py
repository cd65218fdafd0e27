"""A grid worker's steps on a resident's report (沥家园) in the field app, for browser tests.

    import field_reports
    field_reports.verify(driver, base, report_id)                       # 核实: a hazard on the subject
    field_reports.dismiss(driver, base, report_id, "duplicate", "同一处", duplicate_of=first_id)

`driver` is a Selenium WebDriver already signed in (session cookie) as an account that writes
(wangge.worker), phone size; `base` is the server ("http://127.0.0.1:8080"). Each step opens
Today (/field/#/today) unless it shows, waits for the report's card (#reports li.report
[data-report=<id lowercase>]; Today asks the server again when it is not there yet), opens the
card's form, fills it, submits it and waits for the confirmation (#report-done[data-report=<id>])
and for the card to leave the open list. A refusal shown in the card (its Chinese text) raises
Failure. Screenshots: .build/browser-screenshots/field-report-NN-<id8>-<step>.png. Each returns
the confirmation text.
"""
import os
import time

from selenium.common.exceptions import (ElementClickInterceptedException, StaleElementReferenceException,
                                        TimeoutException, WebDriverException)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

try:
    from harness import Failure  # the browser tests' failure, when run among them
except ImportError:  # pragma: no cover — used alone
    class Failure(Exception):
        pass

SHOTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
                     ".build", "browser-screenshots")
REASONS = ("notHazard", "duplicate", "outsideArea", "cannotFind")
_count = [0]


def _shot(driver, report_id, step):
    os.makedirs(SHOTS, exist_ok=True)
    _count[0] += 1
    path = os.path.join(SHOTS, f"field-report-{_count[0]:02d}-{report_id[:8]}-{step}.png")
    driver.save_screenshot(path)
    return path


def _wait(driver, cond, timeout, what, report_id="report", shoot=True):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda d: cond(d))
    except TimeoutException:
        if shoot:
            _shot(driver, report_id, "timeout")
        raise Failure(f"timed out waiting for {what}")


def _card_css(report_id):
    return f"#reports li.report[data-report='{report_id}']"


def _today(driver, base, report_id, timeout=45):
    """Today with the report's card on it; asks the server again (re-drawing Today) when the card
    is not there yet (the list is otherwise asked again every minute)."""
    base = base.rstrip("/")
    url = driver.current_url or ""
    if not url.startswith(base + "/field/"):
        driver.get(base + "/field/#/today")
    elif driver.execute_script("return location.hash.split('?')[0]") not in ("#/today", ""):
        driver.execute_script("location.hash = '#/today'")
    _wait(driver, lambda d: d.execute_script(
        "var v = document.getElementById('view'); return !!window.SG && !!SG.Reports && v && v.getAttribute('data-screen') === 'today'"),
        30, "the Today screen", report_id)
    css = _card_css(report_id)
    deadline = time.time() + timeout
    while True:
        try:
            return _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, css), 8, "the card", report_id, shoot=False)[0]
        except Failure:
            if time.time() > deadline:
                _shot(driver, report_id, "not-on-today")
                shown = driver.execute_script(
                    "return Array.prototype.map.call(document.querySelectorAll('#reports li.report'), function (e) { return e.getAttribute('data-report'); })")
                raise Failure(f"report {report_id} is not on Today (shown: {shown})")
            driver.execute_script("if (window.SG && SG.route) SG.route()")  # Today again: asks the server


def _click(driver, el):
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    try:
        el.click()
    except (ElementClickInterceptedException, WebDriverException):
        driver.execute_script("arguments[0].click()", el)  # under the toast or the sticky bar


def _in_card(driver, report_id, css, timeout=15):
    full = _card_css(report_id) + " " + css

    def shown(d):
        try:
            return next(iter([e for e in d.find_elements(By.CSS_SELECTOR, full) if e.is_displayed()]), None)
        except StaleElementReferenceException:
            return None
    return _wait(driver, shown, timeout, full, report_id)


def _select(driver, el, value):
    ok = driver.execute_script("""var s = arguments[0], v = arguments[1];
        if (!Array.prototype.some.call(s.options, function (o) { return o.value === v; })) return false;
        s.value = v; s.dispatchEvent(new Event('change')); return true;""", el, value)
    if not ok:
        options = driver.execute_script("return Array.prototype.map.call(arguments[0].options, function (o) { return o.value; })", el)
        raise Failure(f"{el.get_attribute('name')}: no option {value!r} (options: {options})")


def _errors(driver, report_id):
    return driver.execute_script("""var c = document.querySelector(arguments[0]); if (!c) return [];
        return Array.prototype.filter.call(c.querySelectorAll('.msg.bad'), function (m) { return m.textContent; })
          .map(function (m) { return (m.getAttribute('data-for') || '') + ': ' + m.textContent; });""", _card_css(report_id))


def _submit_and_wait(driver, report_id, action, timeout=30):
    go = _in_card(driver, report_id, ".report-form button.go")
    _click(driver, go)
    card = _card_css(report_id)

    def settled(d):
        errs = _errors(d, report_id)
        if errs:
            return ("error", errs)
        done = d.execute_script("var e = document.querySelector(\"#report-done[data-report='\" + arguments[0] + \"'] .ok\"); return e ? e.textContent : null", report_id)
        gone = not d.find_elements(By.CSS_SELECTOR, "#report-list " + card.split(" ", 1)[1])
        if done and gone:
            return ("done", done)
        return None
    kind, value = _wait(driver, settled, timeout, f"the {action} of report {report_id}", report_id)
    if kind == "error":
        _shot(driver, report_id, f"{action}-refused")
        raise Failure(f"{action} of report {report_id} refused in the app: {' | '.join(value)}")
    driver.execute_script("var e = document.getElementById('report-done'); if (e) e.scrollIntoView({block: 'center'})")
    _shot(driver, report_id, f"{action}-done")
    return value


def verify(driver, base, report_id, item_code=None, subject_id=None, severity=None, note=None):
    """核实: opens the card's verify form and confirms it. The subject is the one preselected (the
    report's matched subject), else `subject_id` (it must be among the choices: matched or
    nearby), else the first nearby one; the item `item_code` (default the report's own, as the
    form preselects it), `severity` (default the item's), `note` (optional)."""
    report_id = str(report_id).lower()
    card = _today(driver, base, report_id)
    _shot(driver, report_id, "card")
    _click(driver, card.find_element(By.CSS_SELECTOR, "button.verify"))
    subj = _in_card(driver, report_id, "select[name=subjectId]")
    if subject_id:
        _select(driver, subj, str(subject_id).lower())
    elif not subj.get_attribute("value"):
        first = driver.execute_script("var o = Array.prototype.filter.call(arguments[0].options, function (x) { return x.value; })[0]; return o ? o.value : null", subj)
        if not first:
            raise Failure(f"report {report_id}: no subject to choose (none matched, none nearby)")
        _select(driver, subj, first)
    item = _in_card(driver, report_id, "select[name=itemCode]")
    if item_code:
        _select(driver, item, item_code)
    if not item.get_attribute("value"):
        raise Failure(f"report {report_id}: no checklist item chosen (the report's does not apply to the subject?)")
    if severity:
        _select(driver, _in_card(driver, report_id, "select[name=severity]"), severity)
    if note:
        _in_card(driver, report_id, "textarea[name=note]").send_keys(note)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", item)
    _shot(driver, report_id, "verify-form")
    return _submit_and_wait(driver, report_id, "verify")


def dismiss(driver, base, report_id, reason, note, duplicate_of=None):
    """驳回: opens the card's dismiss form with `reason` (notHazard, duplicate, outsideArea,
    cannotFind), `duplicate_of` (a report id, for duplicate: it must be among the choices) and
    `note` (required), and confirms it."""
    if reason not in REASONS:
        raise ValueError(f"reason {reason!r}: one of {REASONS}")
    if reason == "duplicate" and not duplicate_of:
        raise ValueError("a duplicate needs duplicate_of")
    report_id = str(report_id).lower()
    card = _today(driver, base, report_id)
    _shot(driver, report_id, "card")
    _click(driver, card.find_element(By.CSS_SELECTOR, "button.dismiss"))
    _select(driver, _in_card(driver, report_id, "select[name=reason]"), reason)
    if reason == "duplicate":
        dup = _in_card(driver, report_id, "select[name=duplicateOf]")
        want = str(duplicate_of).lower()
        _wait(driver, lambda d: d.execute_script(
            "var want = arguments[1]; return Array.prototype.some.call(arguments[0].options, function (o) { return o.value === want; })", dup, want),
            20, f"report {want} among the duplicate choices", report_id)
        _select(driver, dup, want)
    box = _in_card(driver, report_id, "textarea[name=note]")
    box.clear()
    box.send_keys(note)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    _shot(driver, report_id, "dismiss-form")
    return _submit_and_wait(driver, report_id, "dismiss")
