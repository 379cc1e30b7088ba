"""A client written against JupyterHub's REST API, the way JupyterHub tools are, with nothing
but Python's standard library. It must run against Berth unchanged.

  cull    the idle culler's sequence (as jupyterhub-idle-culler does it): GET /, whose version
          decides whether to ask for state=ready (1.3.0 and later), then paged GET /users with
          the pagination Accept header, following _pagination.next, and DELETE
          /users/<name>/server for each ready server idle longer than --timeout.
  class   what a teacher's script does: list the users, start a server for each one that has
          none, and wait until all are ready.

Environment: JUPYTERHUB_API_URL (e.g. http://127.0.0.1:8000/hub/api) and JUPYTERHUB_API_TOKEN.
Prints one line per action and a final JSON summary.
"""
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone

API = os.environ["JUPYTERHUB_API_URL"].rstrip("/")
TOKEN = os.environ["JUPYTERHUB_API_TOKEN"]
PAGINATION = "application/jupyterhub-pagination+json"


def request(method, url, body=None, accept="application/json"):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"token {TOKEN}")
    req.add_header("Accept", accept)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            text = resp.read().decode()
            return resp.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read().decode() or "null")


def parse_date(value):
    # JupyterHub's timestamps: ISO 8601 in UTC with a Z
    return datetime.strptime(value.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")


def users(state=None, page_size=2):
    params = {"limit": page_size}
    if state:
        params["state"] = state
    url = f"{API}/users?{urllib.parse.urlencode(params)}"
    while url:
        status, data = request("GET", url, accept=PAGINATION)
        assert status == 200, (status, data)
        if isinstance(data, list):  # a hub without pagination
            yield from data
            return
        yield from data["items"]
        nxt = data["_pagination"]["next"]
        url = nxt["url"] if nxt else None


def version_tuple(version):
    # as packaging.version orders release numbers: 1.10.0 > 1.3.0
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0])[:3])


# jupyterhub-idle-culler asks for state=ready only from hubs of this version on
STATE_FILTER_MIN_VERSION = (1, 3, 0)


def cull(timeout):
    status, info = request("GET", f"{API}/")
    assert status == 200 and "version" in info, (status, info)
    print(f"hub version {info['version']}")
    state_filter = version_tuple(info["version"]) >= STATE_FILTER_MIN_VERSION
    print(f"listing {'users with state=ready' if state_filter else 'every user (no state filter)'}")
    now = datetime.now(timezone.utc)
    culled, kept = [], []
    # The whole list first: stopping servers while paging would shift the later pages.
    for user in list(users(state="ready" if state_filter else None)):
        for name, server in user.get("servers", {}).items():
            if server.get("pending") or not server.get("ready"):
                continue
            last = server.get("last_activity") or server.get("started")
            inactive = (now - parse_date(last)).total_seconds()
            if inactive < timeout:
                kept.append(user["name"])
                print(f"keeping {user['name']}: active {inactive:.1f}s ago")
                continue
            path = f"{API}/users/{urllib.parse.quote(user['name'])}/server"
            status, _ = request("DELETE", path)
            assert status in (202, 204), status
            culled.append(user["name"])
            print(f"culled {user['name']}: inactive {inactive:.1f}s (status {status})")
    return {"culled": culled, "kept": kept}


def start_all(image=None):
    started = []
    for user in users():
        if user.get("servers"):
            continue
        body = {"image": image} if image else None
        status, _ = request("POST", f"{API}/users/{urllib.parse.quote(user['name'])}/server", body)
        assert status in (201, 202), (user["name"], status)
        started.append(user["name"])
        print(f"starting {user['name']} ({status})")
    deadline = time.time() + 120
    waiting = set(started)
    while waiting and time.time() < deadline:
        for name in list(waiting):
            status, model = request("GET", f"{API}/users/{urllib.parse.quote(name)}")
            server = model.get("servers", {}).get("")
            if server and server.get("ready"):
                waiting.discard(name)
                print(f"{name} is ready at {server['url']}")
        time.sleep(0.5)
    assert not waiting, f"not ready: {sorted(waiting)}"
    return {"started": started}


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "cull":
        summary = cull(float(sys.argv[2]))
    elif command == "class":
        summary = start_all(sys.argv[2] if len(sys.argv) > 2 else None)
    else:
        sys.exit(f"unknown command {command}")
    print(json.dumps(summary))
