"""Authentication for notebook servers started by Berth.

Only Berth's proxy gets in: it checks who the caller is, then sends
`Authorization: token <BERTH_SERVER_TOKEN>`. The server has no token or password of its own,
so no page ever embeds a credential, and no login cookie is handed to the browser.
"""
import hmac
import os

from notebook.auth.login import LoginHandler
from notebook.auth.logout import LogoutHandler


class ProxyTokenLogin(LoginHandler):
    """Accepts a request only when it carries the server token the hub generated."""

    @classmethod
    def get_user(cls, handler):
        if getattr(handler, "_user_id", None):
            return handler._user_id
        expected = os.environ.get("BERTH_SERVER_TOKEN", "")
        match = cls.auth_header_pat.match(handler.request.headers.get("Authorization", ""))
        if expected and match and hmac.compare_digest(match.group(1).strip().encode(), expected.encode()):
            handler._token_authenticated = True
            handler._user_id = os.environ.get("BERTH_USER", "user")
            return handler._user_id
        return None

    @classmethod
    def get_login_available(cls, settings):
        # Never "no authentication at all": without the token, the answer is 403 or the login page.
        return True


class HubLogout(LogoutHandler):
    """The notebook's Logout button signs out of the hub, as a JupyterHub user expects."""

    def get(self):
        self.redirect("/hub/logout")
