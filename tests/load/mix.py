"""The mixed workload of `bench.py --mix`, `--instances 2` and `--soak`.

Several wrk processes run at once, one per kind of traffic, the 256
connections split between them by `MIX` below; each wrk reports its own
latency, so every kind has its own p50 / p99. A lua `response()` hook counts
the answers by status (409s, expected for sold-out campaigns and taken slots,
are counted apart from errors) and writes the `order_no` of every 2xx order
answer to a file, so the end-of-run check can look each one up. An admin
publishing an outage notice with push to the residents holding an `outage`
grant runs as a Python thread (one notice every `OUTAGE_EVERY` seconds), the
WeChat API being a local stand-in (`FakeWechat`) that counts the messages.

Stdlib only; needs wrk, and sqlite3 / psql for the checks at the end.
"""
import concurrent.futures
import datetime
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Connections per kind (256 in all). Reads (feed, goods list and detail,
# group-buys) hold 220 of them; as wrk keeps every connection busy, a kind's
# share of the requests also depends on its latency (writes wait on the
# database), so the table prints each kind's actual share of the requests.
MIX = [
    # (kind, connections)
    ("login", 6),
    ("notices feed", 80),
    ("goods list", 56),
    ("goods detail", 56),
    ("group-buys", 28),
    ("order hot A", 10),
    ("order hot B", 10),
    ("booking", 5),
    ("merchant edits goods", 5),
]
READS = {"notices feed", "goods list", "goods detail", "group-buys"}
# An admin publishes an outage notice with push this often (seconds).
OUTAGE_EVERY = 30
# Residents of the hot community that hold an `outage` grant (push audience).
PUSH_AUDIENCE = 3000
# Order statuses that hold quantity in a campaign (OrderStatus::holds_quantity).
RELEASED = ("cancelled", "refunding", "refunded", "expired")


# --------------------------------------------------------------------------
# HTTP helpers


def http(base, method, path, body=None, token=None, headers=None, timeout=20):
    """One JSON request; answers (status, parsed body or None)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, None


def ok(base, method, path, body=None, token=None, headers=None):
    """A request that must succeed; answers its body."""
    status, r = http(base, method, path, body, token, headers)
    if status >= 300:
        raise RuntimeError(f"{method} {path}: {status} {r}")
    return r


def iso(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def login(base, openid):
    return ok(base, "POST", "/api/v1/auth/dev/login", {"openid": openid})


# --------------------------------------------------------------------------
# The WeChat stand-in


class FakeWechat:
    """WeChat's server API on loopback: answers the token and every send as
    WeChat does when all is well, and counts subscribe messages per
    (recipient, page), so a message sent twice shows."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as WeChat's servers

            def log_message(self, *args):
                pass

            def answer(self, body):
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path.startswith("/cgi-bin/token"):
                    return self.answer({"access_token": "fake-token", "expires_in": 7200})
                return self.answer({"errcode": 0, "errmsg": "ok"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if "/message/subscribe/send" in self.path:
                    try:
                        msg = json.loads(raw)
                        key = (msg.get("touser"), msg.get("page"), json.dumps(msg.get("data"), sort_keys=True))
                    except ValueError:
                        key = ("?", "?", "?")
                    with fake.lock:
                        fake.sent[key] = fake.sent.get(key, 0) + 1
                return self.answer({"errcode": 0, "errmsg": "ok"})

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a connection reset by a killed instance is no finding here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def counts(self):
        """(messages received, distinct messages, messages received more than once)."""
        with self.lock:
            total = sum(self.sent.values())
            return total, len(self.sent), sum(1 for v in self.sent.values() if v > 1)

    def close(self):
        self.server.shutdown()


def server_env(base_env, wechat_port):
    """What the mix needs of the server: dev login, no rate limits (all the
    load comes from one address), the WeChat stand-in and an outage template."""
    return dict(base_env,
                YIZHAN__WECHAT__API_BASE=f"http://127.0.0.1:{wechat_port}",
                YIZHAN__WECHAT__TEMPLATES__OUTAGE="bench-outage-template",
                YIZHAN__RATE_LIMIT__LOGIN_PER_MINUTE="100000000",
                YIZHAN__RATE_LIMIT__WRITES_PER_MINUTE_PER_USER="100000000",
                YIZHAN__RATE_LIMIT__WRITES_PER_MINUTE_PER_IP="100000000",
                YIZHAN__RATE_LIMIT__WECHAT_PER_MINUTE="100000000",
                YIZHAN__BOOKINGS__MAX_OPEN_PER_RESIDENT="100000000")


# --------------------------------------------------------------------------
# Preparing the data the mix drives


def parallel(fn, items, workers=16):
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


def hot_campaign(base):
    """The seeded month-long campaign (the ongoing one with the most to sell)."""
    best, page = None, 1
    while True:
        r = ok(base, "GET", f"/api/v1/group-buys?status=ongoing&page_size=100&page={page}")
        for g in r["items"]:
            if best is None or g["total_quantity"] > best["total_quantity"]:
                best = g
        if page * 100 >= r["total"]:
            return best
        page += 1


def community_residents(base, community, how_many):
    """(openid, token) of `how_many` seeded residents of `community`.
    Seeded residents live in building `n % buildings`; the first pass logs in
    one resident per building to learn which buildings belong to
    `community`, then only those residents are logged in. Merchant owners
    and helpers (the first seeded openids) are left out."""
    buildings = len([b for c in ok(base, "GET", "/api/v1/communities?page_size=100")["items"]
                     for g in c.get("grids", []) for b in g.get("buildings", [])]) or 400
    firsts = parallel(lambda n: (n, login(base, f"seed-{n + 1000}")["user"]["community_id"]),
                      range(buildings))
    ours = sorted((1000 + n) % buildings for n, c in firsts if c == community)
    candidates = [k * buildings + j for k in range(3, 10_000) for j in ours]

    def one(n):
        r = login(base, f"seed-{n}")
        return (f"seed-{n}", r["access_token"]) if r["user"]["community_id"] == community else None

    out = []
    for start in range(0, len(candidates), how_many):
        out += [x for x in parallel(one, candidates[start:start + how_many]) if x]
        if len(out) >= how_many or start > 20 * how_many:
            break
    return out[:how_many]


def owner_token(base, merchant_id):
    """The seeded owner of `merchant_id` (seed-N owns merchant N+1), checked."""
    for openid in (f"seed-{merchant_id - 1}", f"seed-{merchant_id}"):
        token = login(base, openid)["access_token"]
        if http(base, "GET", f"/api/v1/merchants/{merchant_id}/goods?page_size=1", token=token)[0] == 200:
            return token
    return None


def second_campaign(base, hot):
    """Opens campaign B on the hot campaign's goods: 20,000 units, so it
    sells out during the run and the cap is tested. Falls back to a seeded
    ongoing campaign of the community (200 units) if it cannot be opened."""
    community = hot["community_ids"][0]
    token = owner_token(base, hot["merchant_id"])
    if token:
        goods = ok(base, "GET", f"/api/v1/goods/{hot['goods_id']}")
        http(base, "PATCH", f"/api/v1/goods/{hot['goods_id']}", {"stock": 999999}, token=token)
        now = datetime.datetime.now(datetime.timezone.utc)
        status, r = http(base, "POST", f"/api/v1/merchants/{hot['merchant_id']}/group-buys", {
            "goods_id": hot["goods_id"], "title": "压测团购B", "group_price": goods["price"],
            "min_quantity": 10, "total_quantity": 20000, "per_user_limit": 100,
            "starts_at": iso(now - datetime.timedelta(minutes=1)),
            "ends_at": iso(now + datetime.timedelta(days=1)),
            "pickup_address": "社区便民服务驿站一楼",
            "pickup_starts_at": iso(now + datetime.timedelta(days=1, hours=12)),
            "pickup_ends_at": iso(now + datetime.timedelta(days=2)),
            "community_ids": [community]}, token=token)
        if status == 201:
            return r
        print(f"  campaign B could not be opened ({status} {r}); using a seeded one", flush=True)
    r = ok(base, "GET", f"/api/v1/group-buys?community_id={community}&status=ongoing&page_size=100")
    rest = [g for g in r["items"] if g["id"] != hot["id"]]
    return max(rest, key=lambda g: g["remaining_quantity"]) if rest else hot


def merchant_goods(base, community, how_many=5):
    """(owner token, goods id) pairs of up to `how_many` merchants of `community`."""
    pairs = []
    for m in ok(base, "GET", f"/api/v1/merchants?community_id={community}&page_size=20")["items"]:
        token = owner_token(base, m["id"])
        if not token:
            continue
        items = ok(base, "GET", f"/api/v1/merchants/{m['id']}/goods?page_size=20", token=token)["items"]
        pairs += [(token, g["id"]) for g in items[:4]]
        if len(pairs) >= 4 * how_many:
            break
    return pairs


def free_slots(base, community, per_helper=150):
    """(service id, slot id) of free future slots in `community`: each of two
    helpers with services there publishes up to `per_helper` two-hour slots
    (those overlapping earlier runs' slots are refused and skipped), then the
    free ones are listed."""
    services = ok(base, "GET", f"/api/v1/services?community_id={community}&page_size=50")["items"]
    by_helper = {}
    for s in services:
        by_helper.setdefault(s["helper_id"], s)
    out = []
    start = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0)
    for helper_id, service in list(by_helper.items())[:2]:
        token = None
        for n in (357 + helper_id, 358 + helper_id, 356 + helper_id):
            t = login(base, f"seed-{n}")["access_token"]
            if http(base, "GET", "/api/v1/helpers/me/slots", token=t)[0] == 200:
                token = t
                break
        if token:
            def publish(i):
                at = start + datetime.timedelta(hours=3 * i)
                return http(base, "POST", "/api/v1/helpers/me/slots",
                            {"starts_at": iso(at), "ends_at": iso(at + datetime.timedelta(hours=2))},
                            token=token)[0]
            parallel(publish, range(per_helper), workers=4)
        frm = iso(start)
        to = iso(start + datetime.timedelta(days=59))
        slots = ok(base, "GET", f"/api/v1/services/{service['id']}/slots?from={frm}&to={to}")
        slots = slots["items"] if isinstance(slots, dict) else slots
        out += [(service["id"], s["id"]) for s in slots if not s.get("booked")]
    return out


def admin_token(base, bin_path, env, community):
    """A community admin of `community` (created with `create-admin`)."""
    password = "bench-mix-admin-password"
    subprocess.run([bin_path, "create-admin", "--username", "bench-mix-admin", "--password-env",
                    "BENCH_ADMIN_PASSWORD", "--community", str(community)],
                   env=dict(env, BENCH_ADMIN_PASSWORD=password), check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return ok(base, "POST", "/api/v1/auth/admin/login",
              {"username": "bench-mix-admin", "password": password})["access_token"]


def prepare(base, bin_path, env, workdir):
    """Logs in the residents, grants the push audience, opens campaign B,
    publishes slots, and writes one wrk script per kind. Answers the plan:
    {"kinds": [(kind, connections, path, script)], "campaigns": [...], ...}."""
    t0 = time.time()
    hot = hot_campaign(base)
    community = hot["community_ids"][0]
    residents = community_residents(base, community, PUSH_AUDIENCE)
    tokens = [t for _, t in residents]
    parallel(lambda t: ok(base, "POST", "/api/v1/me/subscriptions", {"topic": "outage", "grants": 10}, t),
             tokens)
    b = second_campaign(base, hot)
    goods = ok(base, "GET", f"/api/v1/goods?community_id={community}&page_size=100")["items"]
    edits = merchant_goods(base, community)
    slots = free_slots(base, community)
    admin = admin_token(base, bin_path, env, community)
    ids = ",".join(str(g) for g in (hot["id"], b["id"]))
    (before,), = db_query(env, f"select count(*) from orders where group_buy_id in ({ids})")
    print(f"  prepared in {time.time() - t0:.1f}s: community {community}, {len(residents)} residents with "
          f"outage grants, campaigns {hot['id']} (cap {hot['total_quantity']}) and {b['id']} "
          f"(cap {b['total_quantity']}), {len(goods)} goods, {len(edits)} goods to edit, "
          f"{len(slots)} free slots", flush=True)

    feed_paths = [f"/api/v1/notices?community_id={community}"]
    list_paths = [f"/api/v1/goods?community_id={community}&sort={s}&page_size=20&page={p}"
                  for s in ("sales", "newest", "price_asc") for p in (1, 2, 3)]
    detail_paths = [f"/api/v1/goods/{g['id']}" for g in goods]
    gb_paths = [f"/api/v1/group-buys?community_id={community}", f"/api/v1/group-buys/{hot['id']}",
                f"/api/v1/group-buys/{b['id']}"]
    half = len(tokens) // 2
    kinds = {
        "login": write_lua(workdir, "login", "POST", ["/api/v1/auth/dev/login"],
                           bodies=[json.dumps({"openid": o}) for o, _ in residents[:500]]),
        "notices feed": read_lua(workdir, "feed", feed_paths, tokens[:500]),
        "goods list": read_lua(workdir, "goods-list", list_paths, []),
        "goods detail": read_lua(workdir, "goods-detail", detail_paths, []),
        "group-buys": read_lua(workdir, "group-buys", gb_paths, []),
        "order hot A": write_lua(workdir, "order-a", "POST", [f"/api/v1/group-buys/{hot['id']}/orders"],
                                 tokens=tokens[:half], bodies=['{"quantity": 1}'], record=True),
        "order hot B": write_lua(workdir, "order-b", "POST", [f"/api/v1/group-buys/{b['id']}/orders"],
                                 tokens=tokens[half:], bodies=['{"quantity": 1}'], record=True),
        "booking": write_lua(workdir, "booking", "POST", ["/api/v1/bookings"], tokens=tokens[-500:],
                             bodies=[json.dumps({"service_id": s, "slot_id": sl, "address": "3号楼2单元501室",
                                                 "contact_phone": "13800138000"}) for s, sl in slots]
                             or ['{}']),
        "merchant edits goods": write_lua(workdir, "edits", "PATCH", [f"/api/v1/goods/{g}" for _, g in edits],
                                          tokens=[t for t, _ in edits], paired=True,
                                          bodies=[json.dumps({"stock": 500 + i}) for i in range(7)])
        if edits else None,
    }
    plan_kinds = [(k, c, kinds[k]) for k, c in MIX if kinds.get(k)]
    return {"kinds": plan_kinds, "campaigns": [hot["id"], b["id"]], "orders_before": int(before),
            "community": community,
            "admin": admin, "workdir": workdir}


# --------------------------------------------------------------------------
# wrk scripts

LUA_COMMON = """
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if seen ~= nil and status >= 200 and status < 300 then
    local no = string.match(body, '"order_no":"([^"]+)"')
    if no then seen:write(no, "\\n") end
  end
end
function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do io.write(string.format("STATUS %d %d\\n", k, v)) end
  end
end
"""


def lua_list(values):
    return "{" + ",".join(json.dumps(v, ensure_ascii=False) for v in values) + "}"


def read_lua(workdir, name, paths, tokens):
    """GETs of `paths` in turn, as `tokens` in turn (anonymous when none);
    the requests are formatted once in init()."""
    lua = f"""
paths = {lua_list(paths)}
tokens = {lua_list(tokens)}
function init(args)
  statuses = {{}}
  reqs = {{}}
  local n = math.max(#paths, #tokens, 1)
  for i = 1, math.min(n, 1000) do
    local h = {{}}
    if #tokens > 0 then h["Authorization"] = "Bearer " .. tokens[(i - 1) % #tokens + 1] end
    reqs[i] = wrk.format("GET", paths[(i - 1) % #paths + 1], h)
  end
  counter = tid * 7919
end
request = function()
  counter = counter + 1
  return reqs[counter % #reqs + 1]
end
""" + LUA_COMMON
    return save_lua(workdir, name, lua)


def write_lua(workdir, name, method, paths, bodies, tokens=(), record=False, paired=False):
    """`method` to `paths` with `bodies` in turn, as `tokens` in turn, each
    request with its own Idempotency-Key. `paired`: path i goes with token i.
    `record`: the order_no of each 2xx answer is written to a file."""
    seen = os.path.join(workdir, f"seen-{name}-")
    lua = f"""
paths = {lua_list(paths)}
tokens = {lua_list(list(tokens))}
bodies = {lua_list(bodies)}
function init(args)
  statuses = {{}}
  counter = tid * 104729
  math.randomseed(os.time() + tid * 31 + {abs(hash(name)) % 100000})
  run = tostring(math.random(1, 2147483647))
  {"seen = io.open(" + json.dumps(seen) + " .. tid .. '-' .. run .. '.txt', 'w'); seen:setvbuf('line')" if record else ""}
end
request = function()
  counter = counter + 1
  local i = counter
  local h = {{}}
  h["Content-Type"] = "application/json"
  if #tokens > 0 then h["Authorization"] = "Bearer " .. tokens[i % #tokens + 1] end
  h["Idempotency-Key"] = "mix-{name}-" .. run .. "-" .. tid .. "-" .. i
  local p = {"paths[i % #tokens + 1]" if paired else "paths[i % #paths + 1]"}
  return wrk.format("{method}", p, h, bodies[(i * 7) % #bodies + 1])
end
""" + LUA_COMMON
    return save_lua(workdir, name, lua)


def save_lua(workdir, name, lua):
    path = os.path.join(workdir, f"{name}.lua")
    with open(path, "w") as f:
        f.write(lua)
    return path


# --------------------------------------------------------------------------
# Running


def parse_ms(text, pct):
    m = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m:
        return float("nan")
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v


def parse_wrk(out):
    """req/s, p50, p99, requests, answers by status, socket errors of one wrk run."""
    statuses = {}
    for code, n in re.findall(r"^STATUS (\d+) (\d+)$", out, re.M):
        statuses[int(code)] = statuses.get(int(code), 0) + int(n)
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    reqs = re.search(r"(\d+) requests in", out)
    return {"rps": float(rps.group(1)) if rps else 0.0, "p50": parse_ms(out, 50), "p99": parse_ms(out, 99),
            "requests": int(reqs.group(1)) if reqs else 0, "statuses": statuses,
            "socket": sum(int(x) for x in m.groups()) if m else 0}


class Admin(threading.Thread):
    """An admin of the hot community publishing an outage notice with push
    every OUTAGE_EVERY seconds until stopped; records each publication's
    latency (create + publish) and status."""

    def __init__(self, base, token, community):
        super().__init__(daemon=True)
        self.base, self.token, self.community = base, token, community
        self.stop = threading.Event()
        self.latencies, self.statuses, self.notices = [], [], []

    def run(self):
        while not self.stop.wait(OUTAGE_EVERY if self.latencies else 1):
            now = datetime.datetime.now(datetime.timezone.utc)
            t0 = time.perf_counter()
            status, r = http(self.base, "POST", "/api/v1/admin/notices", {
                "community_id": self.community, "kind": "water_outage",
                "title": "停水通知（压测）", "content": "因管网维修，明日 9:00-15:00 停水，请提前储水。",
                "building_ids": [], "starts_at": iso(now + datetime.timedelta(hours=1)),
                "ends_at": iso(now + datetime.timedelta(hours=7)), "pinned": False, "push": True},
                token=self.token)
            if status == 201:
                status, _ = http(self.base, "POST", f"/api/v1/admin/notices/{r['id']}/publish", {},
                                 token=self.token)
                self.notices.append(r["id"])
            self.latencies.append((time.perf_counter() - t0) * 1000)
            self.statuses.append(status)


def run_mix(base, plan, seconds, on_half=None):
    """Runs every kind at once for `seconds`; `on_half` is called half way
    (the two-instance run kills an instance there). Answers {kind: result}."""
    procs = []
    for kind, conns, script in plan["kinds"]:
        cmd = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency", "--timeout", "5s", "-s", script, base + "/"]
        procs.append((kind, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
    admin = Admin(base, plan["admin"], plan["community"])
    admin.start()
    if on_half:
        time.sleep(seconds / 2)
        on_half()
    results = {}
    for kind, p in procs:
        out, _ = p.communicate()
        results[kind] = parse_wrk(out)
    admin.stop.set()
    admin.join()
    lat = sorted(admin.latencies)
    results["admin publishes outage"] = {
        "rps": len(lat) / seconds, "requests": len(lat),
        "p50": lat[len(lat) // 2] if lat else float("nan"),
        "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan"),
        "statuses": {s: admin.statuses.count(s) for s in set(admin.statuses)}, "socket": 0}
    plan.setdefault("notices", []).extend(admin.notices)
    return results


def summarise(results):
    """Rows (kind, req/s, share, p50, p99, 2xx, 409, errors) and the totals."""
    total = sum(r["requests"] for r in results.values()) or 1
    rows = []
    for kind, r in results.items():
        good = sum(n for s, n in r["statuses"].items() if 200 <= s < 300)
        conflicts = r["statuses"].get(409, 0)
        errors = sum(n for s, n in r["statuses"].items() if s >= 300 and s != 409) + r["socket"]
        rows.append((kind, r["rps"], r["requests"] / total, r["p50"], r["p99"], good, conflicts, errors))
    reads = sum(r["requests"] for k, r in results.items() if k in READS)
    return rows, sum(r["rps"] for r in results.values()), reads / total


def print_table(title, results):
    rows, rps, read_share = summarise(results)
    print(f"\n{title}: {rps:.0f} req/s in all, {read_share:.1%} of the requests reads")
    print("| kind | req/s | share | p50 ms | p99 ms | 2xx | 409 (expected) | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind, krps, share, p50, p99, good, conflicts, errors in rows:
        print(f"| {kind} | {krps:.0f} | {share:.1%} | {p50:.2f} | {p99:.2f} | {good} | {conflicts} | {errors} |")
    return sum(r[7] for r in rows)


# --------------------------------------------------------------------------
# Checks


def db_query(env, sql):
    """Rows (lists of strings) of `sql` on the server's database."""
    url = env["YIZHAN__DATABASE__URL"]
    if url.startswith("sqlite:"):
        path = url.split("://", 1)[1].split("?", 1)[0]
        cmd = ["sqlite3", "-separator", "|", path, sql]
    else:
        cmd = ["psql", url, "-AtF", "|", "-c", sql]
    out = subprocess.run(cmd, check=True, text=True, stdout=subprocess.PIPE).stdout
    return [line.split("|") for line in out.splitlines() if line]


def check_orders(env, plan):
    """For each hot campaign: sold (ordered_quantity) equals the sum of the
    quantities of the orders that hold stock, and never exceeds the cap;
    every order_no a client saw answered 2xx exists once; no idempotency key
    is stored twice. Prints PASS/FAIL lines; answers True when all pass."""
    good = True
    released = ",".join(f"'{s}'" for s in RELEASED)
    time.sleep(2)  # orders in flight when wrk stopped commit meanwhile
    for gb in plan["campaigns"]:
        # One statement: one snapshot of the campaign and its orders.
        held_sql = (f"from orders o where o.group_buy_id = g.id and o.status not in ({released})")
        (sold, cap, held, n), = db_query(
            env, f"select g.ordered_quantity, g.total_quantity, (select coalesce(sum(o.quantity), 0) {held_sql}), "
                 f"(select count(*) {held_sql}) from group_buys g where g.id = {gb}")
        passed = int(sold) == int(held) and int(sold) <= int(cap)
        good &= passed
        print(f"{'PASS' if passed else 'FAIL'} campaign {gb}: sold {sold}, held by {n} orders {held}, cap {cap}")
    seen = set()
    dup_answers = 0
    for name in os.listdir(plan["workdir"]):
        if name.startswith("seen-"):
            with open(os.path.join(plan["workdir"], name)) as f:
                for line in f:
                    no = line.strip()
                    if no in seen:
                        dup_answers += 1
                    seen.add(no)
    ids = ",".join(str(g) for g in plan["campaigns"])
    in_db = {r[0] for r in db_query(env, f"select order_no from orders where group_buy_id in ({ids})")}
    missing = len(seen - in_db)
    passed = missing == 0
    good &= passed
    unseen = len(in_db) - plan["orders_before"] - len(in_db & seen)
    print(f"{'PASS' if passed else 'FAIL'} {len(seen)} orders answered 2xx to the clients: {missing} missing "
          f"from the database, {dup_answers} order_no answered twice; {unseen} orders made during the run "
          f"whose answer no client recorded (in flight when wrk stopped, at most one per connection, "
          f"or lost with a killed instance)")
    (dups,), = db_query(env, "select count(*) from (select user_id, key from idempotency_keys "
                             "group by user_id, key having count(*) > 1) d")
    passed = int(dups) == 0
    good &= passed
    print(f"{'PASS' if passed else 'FAIL'} idempotency keys stored twice: {dups}")
    return good


def check_push(env, plan, fake, wait=180):
    """Waits (up to `wait` s) for the outage deliveries of the notices the
    admin published to leave `pending`, then prints what was sent: every
    recipient once, none twice."""
    if not plan.get("notices"):
        print("push: no notice published")
        return True
    ids = ",".join(str(n) for n in plan["notices"])
    t0 = time.time()
    deadline = t0 + wait
    while True:
        rows = dict(db_query(env, f"select status, count(*) from notice_deliveries where notice_id in ({ids}) "
                                  f"group by status"))
        if not int(rows.get("pending", 0)) + int(rows.get("sending", 0)) or time.time() > deadline:
            break
        time.sleep(1)
    total, distinct, twice = fake.counts()
    print(f"push: waited {time.time() - t0:.0f}s after the run for the deliveries to finish")
    passed = twice == 0 and int(rows.get("pending", 0)) == 0 and int(rows.get("sent", 0)) <= distinct
    print(f"{'PASS' if passed else 'FAIL'} push of {len(plan['notices'])} outage notices: deliveries by status "
          f"{rows}; WeChat stand-in received {total} messages, {distinct} distinct, {twice} more than once")
    return passed


def rss_mb(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def new_workdir():
    return tempfile.mkdtemp(prefix="yizhan-mix-" + uuid.uuid4().hex[:6] + "-")


# --------------------------------------------------------------------------
# nginx in front of several instances (--instances)


def render_nginx(sample, upstream_ports, listen_port, workdir):
    """The deployment sample with this run's ports, wrapped in a main
    configuration that keeps nginx's pid, logs and temp files in `workdir`
    and logs only the requests nginx retried on another instance. Answers
    the path of the main configuration."""
    with open(sample) as f:
        conf = f.read()
    lines, done = [], False
    for line in conf.splitlines():
        m = re.match(r"\s*server 127\.0\.0\.1:\d+ (.*)$", line)
        if m:
            if not done:
                lines += [f"    server 127.0.0.1:{p} {m.group(1)}" for p in upstream_ports]
                done = True
            continue
        lines.append(re.sub(r"^(\s*)listen 80;", rf"\1listen 127.0.0.1:{listen_port};", line))
    site = os.path.join(workdir, "yizhan.conf")
    with open(site, "w") as f:
        f.write("\n".join(lines) + "\n")
    main = os.path.join(workdir, "nginx-main.conf")
    with open(main, "w") as f:
        f.write(f"""{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {workdir}/nginx-body;
    proxy_temp_path {workdir}/nginx-proxy;
    fastcgi_temp_path {workdir}/nginx-fastcgi;
    uwsgi_temp_path {workdir}/nginx-uwsgi;
    scgi_temp_path {workdir}/nginx-scgi;
    map $upstream_status $yizhan_retried {{ "~," 1; default 0; }}
    log_format retried '$request_method $uri $status upstreams=$upstream_addr statuses=$upstream_status';
    access_log {workdir}/nginx-retried.log retried buffer=64k flush=1s if=$yizhan_retried;
    include {site};
}}
""")
    return main


def start_nginx(sample, upstream_ports, listen_port, workdir):
    """Renders the sample and starts nginx in the foreground; answers the process."""
    main = render_nginx(sample, upstream_ports, listen_port, workdir)
    subprocess.run(["nginx", "-t", "-q", "-c", main], check=True)
    proc = subprocess.Popen(["nginx", "-c", main, "-g", "daemon off;"])
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{listen_port}/healthz", timeout=1)
            return proc
        except Exception:
            time.sleep(0.1)
    raise RuntimeError("nginx did not answer")


def stop_nginx(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def nginx_upstream_summary(workdir):
    """How many requests nginx retried on the other instance, by final status."""
    path = os.path.join(workdir, "nginx-retried.log")
    time.sleep(1.5)
    final = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                final[parts[2]] = final.get(parts[2], 0) + 1
    except OSError:
        pass
    return (f"nginx retried {sum(final.values())} requests on another instance; their final statuses: "
            f"{final or '{}'} (log: {path})")
