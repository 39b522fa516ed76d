"""Helpers for the browser suite: a Chromium tab driven by Selenium that speaks the page's
test contract, and a plain HTTP long-poll user (what a curl script does), both bounded by
explicit deadlines."""

import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import ROOT  # noqa: E402

CHROMIUM = os.environ.get("SWITCHBOARD_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SWITCHBOARD_CHROMEDRIVER", "/usr/bin/chromedriver")
ARTIFACTS = os.path.join(ROOT, "artifacts", "browser")

# Every wait in the suite ends by this many seconds; generous for a loaded 2-core machine,
# while a healthy run finishes each step in well under a second.
WAIT_SECONDS = 15

DESKTOP = (1280, 800)
PHONE = (390, 780)

# Console entries a test that cuts the network on purpose expects: the browser reports
# refused connections and failed WebSocket handshakes itself, whatever the page does.
NETWORK_NOISE = ("net::ERR_", "WebSocket connection to", "Failed to load resource")


class Browser:
    """One headless Chromium window showing the chat page."""

    def __init__(self, size=DESKTOP, init_script=None):
        options = Options()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--no-first-run", "--disable-extensions",
                         "--window-size=%d,%d" % size):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        # Both paths are given, so Selenium never tries to download a browser or driver.
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(WAIT_SECONDS)
        # The command-line size has a floor of about 500 px; resizing afterwards does not.
        self.driver.set_window_size(*size)
        self.logs = []
        self.chat_window = None
        if init_script:
            self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                        {"source": init_script})

    def open(self, server, uid, peer=None, transport=None):
        query = {"uid": uid}
        if peer:
            query["peer"] = peer
        if transport:
            query["transport"] = transport
        self.driver.get("%s/?%s" % (server.http, urllib.parse.urlencode(query)))
        self.chat_window = self.driver.current_window_handle
        return self

    # Contract elements.

    def find(self, testid):
        return self.driver.find_element(By.CSS_SELECTOR, '[data-testid="%s"]' % testid)

    def status(self):
        element = self.find("status")
        return element.get_attribute("data-state"), element.get_attribute("data-transport")

    def messages(self):
        """(text, direction) of every message in the open chat, in page order."""
        return [tuple(item) for item in self.driver.execute_script(
            "return [...document.querySelectorAll('[data-testid=message]')]"
            ".map(e => [e.textContent, e.dataset.direction]);")]

    def presence(self):
        return self.driver.find_element(By.ID, "peer-presence").get_attribute("data-presence")

    def delivery_states(self):
        return self.driver.execute_script(
            "return [...document.querySelectorAll('.message.out')].map(e => e.dataset.status);")

    # Actions.

    def type(self, *keys):
        self.find("compose").send_keys(*keys)

    def send(self, text):
        """Types `text` and presses Enter, as a person would."""
        self.find("compose").send_keys(text, Keys.ENTER)

    def shift_enter(self):
        (ActionChains(self.driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER)
         .key_up(Keys.SHIFT).perform())

    def screenshot(self, name, size=None):
        if size:
            self.driver.set_window_size(*size)
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, name + ".png")
        self.driver.save_screenshot(path)
        return path

    def close_chat_tab(self):
        """Closes the chat tab like a person closing it (the page gets `pagehide`), while
        the browser stays up on another tab so the page's last requests can leave."""
        self.driver.switch_to.new_window("tab")
        spare = self.driver.current_window_handle
        self.driver.switch_to.window(self.chat_window)
        self.collect_logs()
        self.driver.close()
        self.driver.switch_to.window(spare)

    # Waits.

    def wait_until(self, condition, what, timeout=WAIT_SECONDS):
        """Polls `condition` until it returns a truthy value, failing with `what`."""
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(
                lambda _: condition())
        except Exception as error:
            raise AssertionError("timed out after %ss waiting for %s (status %s)" % (
                timeout, what, self.safe_status())) from error

    def wait_status(self, state, transport=None, timeout=WAIT_SECONDS):
        def matches():
            current_state, current_transport = self.status()
            return current_state == state and transport in (None, current_transport)
        self.wait_until(matches, "status %s/%s" % (state, transport), timeout)

    def wait_messages(self, expected, timeout=WAIT_SECONDS):
        expected = [tuple(item) for item in expected]
        try:
            self.wait_until(lambda: self.messages() == expected, "messages %r" % (expected,),
                            timeout)
        except AssertionError as error:
            raise AssertionError("%s; page shows %r" % (error, self.messages())) from None

    def wait_presence(self, presence):
        self.wait_until(lambda: self.presence() == presence, "presence %s" % presence)

    def safe_status(self):
        try:
            return self.status()
        except Exception:
            return "unavailable"

    # Console.

    def collect_logs(self):
        try:
            self.logs.extend(self.driver.get_log("browser"))
        except Exception:
            pass
        return self.logs

    def console_errors(self, allow_network_noise=False):
        errors = [entry for entry in self.collect_logs() if entry.get("level") == "SEVERE"]
        if allow_network_noise:
            errors = [entry for entry in errors
                      if not any(noise in entry.get("message", "") for noise in NETWORK_NOISE)]
        return errors

    def quit(self):
        self.collect_logs()
        self.driver.quit()


class PollUser:
    """A user on plain HTTP long-poll, as a curl script would be: POST envelopes, GET
    events with an ack, DELETE at the end."""

    def __init__(self, server, uid):
        self.server = server
        self.uid = uid
        self.sid = None
        self.ack = 0
        self.events = []

    def request(self, method, query="", body=None, timeout=10):
        url = self.server.http + "/v1/poll" + query
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return status, (json.loads(raw) if raw else None)

    def post(self, envelope):
        query = "?sid=" + urllib.parse.quote(self.sid) if self.sid else ""
        status, reply = self.request("POST", query, envelope)
        return reply

    def bind(self):
        reply = self.post({"type": "bind", "uid": self.uid})
        assert reply and not reply["error"], reply
        self.sid = reply["sid"]
        return reply

    def join(self, peer):
        return self.post({"type": "join", "touid": peer})

    def send(self, peer, text, request_id=None):
        envelope = {"type": "send", "touid": peer, "msg": text}
        if request_id:
            envelope["id"] = request_id
        reply = self.post(envelope)
        assert reply and not reply["error"], reply
        return reply

    def poll(self, timeout=1):
        query = "?sid=%s&ack=%d&timeout=%d" % (urllib.parse.quote(self.sid), self.ack, timeout)
        status, body = self.request("GET", query, timeout=timeout + 10)
        assert status == 200, (status, body)
        for event in body["events"]:
            self.ack = max(self.ack, event["seq"])
            self.events.append(event)
        return body["events"]

    def received(self, sender=None):
        """Texts of the messages delivered to this user, oldest first."""
        return [event["msg"] for event in self.events
                if event["type"] == "send" and event.get("touid") == self.uid
                and sender in (None, event.get("uid"))]

    def wait_for(self, condition, what, timeout=WAIT_SECONDS):
        deadline = time.time() + timeout
        while True:
            if condition():
                return
            remaining = deadline - time.time()
            if remaining <= 0:
                raise AssertionError("timed out waiting for %s; events %r" % (what, self.events))
            self.poll(timeout=max(1, min(5, int(remaining))))

    def delete(self):
        status, _ = self.request("DELETE", "?sid=" + urllib.parse.quote(self.sid))
        self.sid = None
        return status
