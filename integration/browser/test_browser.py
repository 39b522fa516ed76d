"""The chat page in real headless Chromium against the real server: both transports, the
fallback, reconnecting across a server restart, offline sending, presence, text safety,
the keyboard, and a plain HTTP user in the same conversation."""

import base64
import hashlib
import hmac
import json
import os
import sys
import time
import unittest
import warnings

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from browser import DESKTOP, PHONE, Browser, PollUser  # noqa: E402
from harness import Server  # noqa: E402

# Emulates a proxy that refuses WebSocket upgrades: while window.__blockWebSocket is set
# (from the start), every socket fails before opening, the way a browser reports a refused
# handshake (error, then close 1006); once a test clears it, sockets open normally.
# `setup` runs first, e.g. to shorten the page's timings.
def blocked_websocket_script(setup=""):
    return """
(() => {
  %s
  window.__blockWebSocket = true;
  window.__webSocketAttempts = 0;
  const NativeWebSocket = window.WebSocket;
  class RefusedWebSocket extends EventTarget {
    constructor(url) {
      super();
      this.url = url;
      this.readyState = 0;
      setTimeout(() => {
        this.readyState = 3;
        if (this.onerror) this.onerror(new Event('error'));
        if (this.onclose) this.onclose(new CloseEvent('close', { code: 1006 }));
      }, 20);
    }
    send() { throw new DOMException('not open', 'InvalidStateError'); }
    close() { this.readyState = 3; }
  }
  function SwitchableWebSocket(url, protocols) {
    window.__webSocketAttempts += 1;
    return window.__blockWebSocket ? new RefusedWebSocket(url)
                                   : new NativeWebSocket(url, protocols);
  }
  Object.assign(SwitchableWebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  window.WebSocket = SwitchableWebSocket;
})();
""" % setup


BLOCK_WEBSOCKET = blocked_websocket_script()

# The page's wait before trying WebSocket again and the trial a tried socket must survive,
# shortened from a minute and 30 s to about a second.
BLOCK_WEBSOCKET_UNTIL_CLEARED = blocked_websocket_script(
    "window.switchboardTuning = { webSocketProbeMs: 800, stableMs: 1500 };")

# Emulates a middlebox that lets WebSockets open and then kills each one shortly after.
KILL_WEBSOCKETS_AFTER_OPEN = """
(() => {
  window.__webSocketSessions = 0;
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => {
        if (this.__doomed) return;
        this.__doomed = true;
        window.__webSocketSessions += 1;
        setTimeout(() => this.close(4001, 'killed'), 200);
      });
    }
  };
})();
"""

# Emulates a connection cut right after a chat message left the browser: the server gets
# the send, its confirmation never reaches the page. Only the first send is cut.
LOSE_FIRST_SEND_REPLY = """
(() => {
  let armed = true;
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    send(data) {
      super.send(data);
      if (armed && String(data).includes('"type":"send"')) {
        armed = false;
        super.close(4000, 'cut');
      }
    }
  };
  const nativeFetch = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const response = await nativeFetch(input, init);
    if (armed && init && init.method === 'POST' && String(init.body).includes('"send"')) {
      armed = false;
      throw new TypeError('Failed to fetch');
    }
    return response;
  };
})();
"""


class BrowserTestCase(unittest.TestCase):
    """Starts browsers on demand, quits them after each test, and fails a test whose pages
    logged console errors."""

    server = None
    allow_network_noise = False

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.browsers = []
        self.started = time.time()

    def tearDown(self):
        errors = []
        for browser in self.browsers:
            errors += browser.console_errors(self.allow_network_noise)
            browser.quit()
        sys.stderr.write("(%.1fs) " % (time.time() - self.started))
        self.assertEqual(errors, [], "console errors")

    def tab(self, uid, peer=None, transport=None, server=None, **options):
        browser = Browser(**options)
        self.browsers.append(browser)
        return browser.open(server or self.server, uid, peer, transport)

    def user(self, name):
        """A uid unique to this test, so tests sharing a server never see each other."""
        return "%s-%s" % (name, self._testMethodName[5:25])


class ChatTests(BrowserTestCase):

    def test_websocket_tab_and_long_poll_tab_chat_both_ways(self):
        alice_id, bob_id = self.user("alice"), self.user("bob")
        alice = self.tab(alice_id, bob_id, "ws")
        bob = self.tab(bob_id, alice_id, "poll")
        alice.wait_status("open", "ws")
        bob.wait_status("open", "poll")

        conversation = [(alice, "Hi Bob, this is Alice on a WebSocket."),
                        (alice, "Second line from Alice"),
                        (bob, "Hello Alice! Bob here, on long-poll."),
                        (alice, "Ünïcödé ✓ and emoji 🎉 survive"),
                        (bob, "A long line that has to wrap: " + "lorem ipsum dolor " * 12)]
        shown = {alice: [], bob: []}
        for sender, text in conversation:
            sender.send(text)
            for tab in (alice, bob):
                shown[tab].append((text, "out" if tab is sender else "in"))
                tab.wait_messages(shown[tab])

        senders = [alice_id, alice_id, bob_id, alice_id, bob_id]
        for tab in (alice, bob):
            self.assertEqual(tab.driver.execute_script(
                "return [...document.querySelectorAll('[data-testid=message]')]"
                ".map(e => e.dataset.sender);"), senders)
        for tab, count in ((alice, 3), (bob, 2)):
            tab.wait_until(lambda: tab.delivery_states() == ["delivered"] * count,
                           "own messages delivered")
        self.assertEqual(alice.status(), ("open", "ws"))
        self.assertEqual(bob.status(), ("open", "poll"))
        alice.wait_presence("online")
        bob.wait_presence("online")

        alice.screenshot("chat-websocket-desktop")
        bob.screenshot("chat-long-poll-desktop")
        alice.screenshot("chat-websocket-phone", PHONE)
        alice.driver.find_element(By.ID, "back").click()
        alice.wait_until(lambda: alice.driver.find_element(By.ID, "contacts").is_displayed(),
                         "chat list on a phone")
        alice.screenshot("chat-list-phone")

    def test_sign_in_form_remembers_the_uid_until_sign_out(self):
        uid = self.user("frank")
        browser = Browser(size=PHONE)
        self.browsers.append(browser)
        browser.driver.get(self.server.http + "/")
        field = browser.driver.find_element(By.ID, "uid")
        browser.wait_until(field.is_displayed, "the sign-in form")
        self.assertEqual(browser.status()[0], "offline")
        field.send_keys(Keys.ENTER)
        error = browser.driver.find_element(By.ID, "sign-in-error")
        browser.wait_until(lambda: error.text == "Enter a user id.", "an empty uid refused")
        browser.screenshot("sign-in-phone")

        field.send_keys(uid, Keys.ENTER)
        browser.wait_status("open", "ws")
        me = browser.driver.find_element(By.ID, "me")
        self.assertEqual(me.text, uid)
        browser.driver.get(self.server.http + "/")
        browser.wait_status("open", "ws")
        self.assertEqual(browser.driver.find_element(By.ID, "me").text, uid)

        browser.driver.find_element(By.ID, "sign-out").click()
        browser.wait_status("offline")
        browser.driver.get(self.server.http + "/")
        field = browser.driver.find_element(By.ID, "uid")
        browser.wait_until(field.is_displayed, "the sign-in form after signing out")
        self.assertEqual(field.get_attribute("value"), "")

    def test_presence_follows_the_peer_tab_closing_on_either_transport(self):
        alice_id, bob_id = self.user("alice"), self.user("bob")
        alice = self.tab(alice_id, bob_id, "ws")
        alice.wait_status("open", "ws")
        alice.wait_until(lambda: alice.presence() in ("offline", "unknown"), "bob not online")

        for transport in ("poll", "ws"):
            bob = self.tab(bob_id, alice_id, transport)
            bob.wait_status("open", transport)
            alice.wait_presence("online")
            bob.wait_presence("online")
            bob.close_chat_tab()
            alice.wait_presence("offline")

    def test_html_in_messages_is_shown_as_text(self):
        alice_id, dave_id = self.user("alice"), self.user("dave")
        alice = self.tab(alice_id, dave_id, "ws")
        alice.wait_status("open")
        dave = PollUser(self.server, dave_id)
        dave.bind()

        received = "<img src=x onerror=alert(1)>"
        typed = "<script>window.__injected = 1</script><b>bold?</b>"
        dave.send(alice_id, received)
        alice.wait_messages([(received, "in")])
        alice.send(typed)
        alice.wait_messages([(received, "in"), (typed, "out")])
        dave.wait_for(lambda: dave.received() == [typed], "the typed markup as text")

        created = alice.driver.execute_script(
            "return document.querySelectorAll('#messages img, #messages script, #messages b')"
            ".length + (window.__injected ? 100 : 0);")
        self.assertEqual(created, 0)
        with self.assertRaises(NoAlertPresentException):
            alice.driver.switch_to.alert.text

    def test_enter_sends_and_shift_enter_starts_a_new_line(self):
        alice_id, dave_id = self.user("alice"), self.user("dave")
        alice = self.tab(alice_id, dave_id, "ws")
        alice.wait_status("open")
        dave = PollUser(self.server, dave_id)
        dave.bind()

        alice.type("first line")
        alice.shift_enter()
        alice.type("second line")
        compose = alice.find("compose")
        self.assertEqual(compose.get_attribute("value"), "first line\nsecond line")
        self.assertEqual(alice.messages(), [])

        compose.send_keys(Keys.ENTER)
        alice.wait_messages([("first line\nsecond line", "out")])
        self.assertEqual(compose.get_attribute("value"), "")
        compose.send_keys(Keys.ENTER)
        compose.send_keys("   ", Keys.ENTER)
        self.assertEqual(compose.get_attribute("value"), "   ")
        self.assertEqual(len(alice.messages()), 1)
        compose.clear()
        alice.type("by button")
        alice.find("send").click()
        alice.wait_messages([("first line\nsecond line", "out"), ("by button", "out")])
        dave.wait_for(lambda: len(dave.received()) >= 2, "two messages")
        self.assertEqual(dave.received(), ["first line\nsecond line", "by button"])

    def test_a_curl_user_chats_with_a_browser_tab(self):
        alice_id, dave_id, erin_id = self.user("alice"), self.user("dave"), self.user("erin")
        alice = self.tab(alice_id, dave_id)
        alice.wait_status("open", "ws")
        dave = PollUser(self.server, dave_id)
        dave.bind()
        self.assertEqual(dave.join(alice_id)["msg"], "online")
        alice.wait_presence("online")

        dave.send(alice_id, "hello from curl")
        alice.wait_messages([("hello from curl", "in")])
        alice.send("hello curl, from the browser")
        dave.wait_for(lambda: dave.received() == ["hello curl, from the browser"],
                      "the browser's reply")
        reply = [event for event in dave.events if event["type"] == "send"][0]
        self.assertEqual(reply["uid"], alice_id)
        self.assertIsInstance(reply["mid"], int)
        self.assertIsInstance(reply["ts"], int)

        erin = PollUser(self.server, erin_id)
        erin.bind()
        erin.send(alice_id, "a word from Erin")
        badge = '[data-peer="%s"] .unread' % erin_id
        alice.wait_until(lambda: [e.get_attribute("textContent") for e in
                                  alice.driver.find_elements(By.CSS_SELECTOR, badge)]
                         == ["1 unread"], "an unread badge for Erin")
        self.assertIn("(1)", alice.driver.title)
        alice.driver.find_element(By.CSS_SELECTOR, '[data-peer="%s"]' % erin_id).click()
        alice.wait_messages([("a word from Erin", "in")])
        self.assertEqual(alice.driver.find_elements(By.CSS_SELECTOR, badge), [])

        alice.driver.find_element(By.CSS_SELECTOR, '[data-peer="%s"]' % dave_id).click()
        alice.wait_messages([("hello from curl", "in"), ("hello curl, from the browser", "out")])
        self.assertIn(dave.delete(), (200, 204))
        alice.wait_presence("offline")

    def test_new_messages_do_not_yank_a_reader_scrolled_up(self):
        alice_id, dave_id = self.user("alice"), self.user("dave")
        alice = self.tab(alice_id, dave_id, "poll")
        alice.wait_status("open", "poll")
        dave = PollUser(self.server, dave_id)
        dave.bind()
        for number in range(40):
            dave.send(alice_id, "backlog message %d" % number)
        alice.wait_until(lambda: len(alice.messages()) == 40, "40 messages")
        at_bottom = ("const l = document.getElementById('messages');"
                     "return l.scrollHeight - l.scrollTop - l.clientHeight < 50;")
        alice.wait_until(lambda: alice.driver.execute_script(at_bottom), "following the end")

        alice.driver.execute_script("document.getElementById('messages').scrollTop = 0;")
        dave.send(alice_id, "arrives while reading")
        alice.wait_until(lambda: len(alice.messages()) == 41, "the new message")
        self.assertEqual(alice.driver.execute_script(
            "return document.getElementById('messages').scrollTop;"), 0)
        jump = alice.driver.find_element(By.ID, "jump")
        self.assertTrue(jump.is_displayed())
        jump.click()
        alice.wait_until(lambda: alice.driver.execute_script(at_bottom), "back at the end")


class FallbackTests(BrowserTestCase):
    allow_network_noise = False

    def test_blocked_websocket_falls_back_to_long_poll_and_says_so(self):
        alice_id, dave_id = self.user("alice"), self.user("dave")
        alice = self.tab(alice_id, dave_id, init_script=BLOCK_WEBSOCKET)
        alice.wait_status("open", "poll")
        self.assertGreaterEqual(alice.driver.execute_script("return window.__webSocketAttempts"),
                                2)
        self.assertIn("long-poll", alice.find("status").text)
        self.assertIn("long-poll", alice.driver.find_element(By.ID, "banner").text)

        dave = PollUser(self.server, dave_id)
        dave.bind()
        dave.send(alice_id, "reaches the fallback")
        alice.wait_messages([("reaches the fallback", "in")])
        alice.send("answer over long-poll")
        dave.wait_for(lambda: dave.received() == ["answer over long-poll"], "the answer")
        alice.screenshot("fallback-long-poll-desktop")

    def test_websockets_that_keep_dying_give_way_to_long_poll(self):
        alice_id, dave_id = self.user("alice"), self.user("dave")
        alice = self.tab(alice_id, dave_id, init_script=KILL_WEBSOCKETS_AFTER_OPEN)
        alice.wait_status("open", "poll", timeout=30)
        self.assertEqual(alice.driver.execute_script("return window.__webSocketSessions"), 3)
        dave = PollUser(self.server, dave_id)
        dave.bind()
        dave.send(alice_id, "after the fallback")
        alice.wait_messages([("after the fallback", "in")])

    def test_a_fallen_back_tab_returns_to_websocket_once_it_gets_through(self):
        alice_id, dave_id = self.user("alice"), self.user("dave")
        alice = self.tab(alice_id, dave_id, init_script=BLOCK_WEBSOCKET_UNTIL_CLEARED)
        alice.wait_status("open", "poll")
        dave = PollUser(self.server, dave_id)
        dave.bind()
        dave.join(alice_id)
        # Tries that fail leave the long-poll connection alone.
        attempts = lambda: alice.driver.execute_script("return window.__webSocketAttempts")
        alice.wait_until(lambda: attempts() >= 4, "two more WebSocket tries")
        self.assertEqual(alice.status(), ("open", "poll"))
        dave.send(alice_id, "while WebSockets are blocked")
        alice.wait_messages([("while WebSockets are blocked", "in")])

        sessions_before = self.server.metric("switchboard_poll_sessions")
        alice.driver.execute_script("window.__blockWebSocket = false;")
        alice.wait_status("open", "ws")
        self.assertNotIn("long-poll", alice.find("status").text)
        self.assertFalse(alice.driver.find_element(By.ID, "banner").is_displayed())
        dave.send(alice_id, "after the switch back")
        alice.send("answer over WebSocket")
        alice.wait_messages([("while WebSockets are blocked", "in"),
                             ("after the switch back", "in"), ("answer over WebSocket", "out")])
        alice.wait_until(lambda: alice.delivery_states() == ["delivered"], "a confirmation")
        dave.wait_for(lambda: dave.received() == ["answer over WebSocket"], "the answer")
        # The old long-poll session ended without telling dave that alice left.
        alice.wait_until(lambda: self.server.metric("switchboard_poll_sessions") <
                         sessions_before, "the long-poll session to end")
        dave.poll(timeout=1)
        self.assertEqual([e for e in dave.events if e["type"] == "exit"], [])
        self.assertEqual(alice.messages()[:2], [("while WebSockets are blocked", "in"),
                                                ("after the switch back", "in")])

    def test_websocket_is_chosen_first_when_it_works(self):
        alice = self.tab(self.user("alice"), self.user("dave"))
        alice.wait_status("open", "ws")

    def test_a_send_whose_reply_is_lost_is_retried_and_delivered_once(self):
        dave_id = self.user("dave")
        dave = PollUser(self.server, dave_id)
        dave.bind()
        for transport in ("ws", "poll"):
            sender = self.user("alice-" + transport)
            tab = self.tab(sender, dave_id, transport, init_script=LOSE_FIRST_SEND_REPLY)
            tab.wait_status("open", transport)
            tab.send("exactly once over " + transport)
            tab.wait_until(lambda: tab.delivery_states() == ["delivered"], "a confirmation")
            tab.wait_status("open", transport)
            dave.poll(timeout=1)
            self.assertEqual(dave.received(sender), ["exactly once over " + transport])


class QueueingOffTests(BrowserTestCase):
    """A server that refuses messages for offline users (404) instead of queueing them."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server("--offline-queue=false").start()

    def test_a_refused_send_shows_the_error_and_retry_delivers_it_once(self):
        alice_id, dave_id = self.user("alice"), self.user("dave")
        alice = self.tab(alice_id, dave_id, "poll")
        alice.wait_status("open", "poll")
        alice.send("are you there?")
        alice.wait_until(lambda: alice.delivery_states() == ["failed"], "a refused send")
        retry = alice.driver.find_element(By.CSS_SELECTOR, ".message.out .retry")
        self.assertTrue(retry.is_displayed())
        self.assertIn("Not sent", alice.driver.find_element(
            By.CSS_SELECTOR, ".message.out .delivery").text)
        alice.screenshot("send-failed-desktop")

        dave = PollUser(self.server, dave_id)
        dave.bind()
        retry.click()
        alice.wait_until(lambda: alice.delivery_states() == ["delivered"], "the retried send")
        self.assertFalse(retry.is_displayed())
        dave.wait_for(lambda: dave.received() == ["are you there?"], "the retried message")
        dave.poll(timeout=1)
        self.assertEqual(dave.received(), ["are you there?"])
        self.assertEqual(alice.messages(), [("are you there?", "out")])


JWT_SECRET = "browser-test-secret"


def mint_token(uid, secret=JWT_SECRET, lifetime=3600):
    """An HS256 JWT minted the way the README shows, independently of the server's code."""
    def encode(raw):
        return base64.urlsafe_b64encode(raw).rstrip(b"=")
    head = encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = encode(json.dumps({"sub": uid, "exp": int(time.time()) + lifetime}).encode())
    signature = encode(hmac.new(secret.encode(), head + b"." + body, hashlib.sha256).digest())
    return (head + b"." + body + b"." + signature).decode()


class AuthTests(BrowserTestCase):
    """A server started with a JWT secret: the page asks for a token and signs in with it.
    The refused long-poll bind is a 401 response, which Chromium logs as a failed load."""

    allow_network_noise = True

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"SWITCHBOARD_JWT_SECRET": JWT_SECRET}).start()

    def sign_in_with(self, browser, token):
        field = browser.driver.find_element(By.ID, "token")
        field.clear()
        field.send_keys(token)
        browser.driver.find_element(By.ID, "uid").send_keys(Keys.ENTER)

    def test_the_page_asks_for_a_token_and_signs_in_with_a_valid_one(self):
        alice_id, bob_id = self.user("alice"), self.user("bob")
        alice = self.tab(alice_id, bob_id, "ws")
        error = alice.driver.find_element(By.ID, "sign-in-error")
        alice.wait_until(lambda: "token" in error.text, "the sign-in form asking for a token")
        self.assertTrue(alice.driver.find_element(By.ID, "token").is_displayed())
        self.assertEqual(alice.status()[0], "offline")
        alice.screenshot("sign-in-token-desktop")

        self.sign_in_with(alice, mint_token(bob_id))
        alice.wait_until(lambda: "token" in error.text and error.is_displayed(),
                         "a token for another uid refused")
        self.assertEqual(alice.status()[0], "offline")

        self.sign_in_with(alice, mint_token(alice_id))
        alice.wait_status("open", "ws")
        bob = self.tab(bob_id, alice_id, "poll")
        self.sign_in_with(bob, mint_token(bob_id))
        bob.wait_status("open", "poll")
        alice.send("signed in with a token")
        bob.wait_messages([("signed in with a token", "in")])


class RestartTests(BrowserTestCase):
    """Stops the server with SIGTERM while tabs are connected and starts it again on the
    same port. One restart serves every check, because a restart is the slow part."""

    allow_network_noise = True

    def setUp(self):
        super().setUp()
        self.own_server = Server().start()

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            self.own_server.stop()

    def test_tabs_survive_a_restart_deliver_offline_typing_once_and_get_what_was_sent(self):
        dave_id = self.user("dave")
        tabs = []
        # The automatic tab must come back on WebSocket: a restart is no reason to fall back.
        for forced, expected in (("ws", "ws"), ("poll", "poll"), (None, "ws")):
            uid = self.user("alice-%s" % forced)
            tab = self.tab(uid, dave_id, forced, server=self.own_server)
            tabs.append((uid, tab, expected))
        for uid, tab, expected in tabs:
            tab.wait_status("open", expected)

        port = self.own_server.port
        self.assertEqual(self.own_server.stop(), 0)
        for uid, tab, _ in tabs:
            tab.wait_until(lambda: tab.status()[0] != "open", "the tab noticing the stop")
            tab.send("%s typed this offline" % uid)
            tab.send("and this too")
            tab.wait_until(lambda: tab.delivery_states() == ["waiting", "waiting"],
                           "messages waiting for the connection")
        tabs[0][1].screenshot("offline-waiting-desktop")
        self.own_server.start(port=port)

        dave = PollUser(self.own_server, dave_id)
        dave.bind()
        for uid, _, _ in tabs:
            dave.send(uid, "sent while %s was away" % uid)
        for uid, tab, expected in tabs:
            tab.wait_messages([("%s typed this offline" % uid, "out"), ("and this too", "out"),
                               ("sent while %s was away" % uid, "in")])
            tab.wait_status("open", expected)
            tab.wait_until(lambda: all(state in ("delivered", "queued")
                                       for state in tab.delivery_states()), "confirmations")
        for uid, _, _ in tabs:
            dave.wait_for(lambda: len(dave.received(uid)) >= 2, "both messages from " + uid)
        dave.poll(timeout=1)
        for uid, _, _ in tabs:
            self.assertEqual(dave.received(uid), ["%s typed this offline" % uid, "and this too"])


if __name__ == "__main__":
    # The shared harness keeps each server's log file open for the server's lifetime.
    warnings.filterwarnings("ignore", category=ResourceWarning)
    unittest.main(verbosity=2, warnings="ignore")
