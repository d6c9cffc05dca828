#!/usr/bin/env python3
"""Load benchmark for yizhan: seeds a data set, starts the release server on
the embedded default (SQLite + in-process cache) and/or on PostgreSQL + Redis,
drives it with wrk and prints one table.

    python3 tests/load/bench.py --scale 1 --backend both

Needs wrk (Debian package `wrk`; installed automatically when running as root)
and, for the PostgreSQL + Redis pass, the services at 127.0.0.1. Traffic goes to
127.0.0.1 only; every run is bounded by --duration.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import threading
import zlib
import struct

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mix  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "target", "release", "yizhan")
PORT = 18080
BASE = f"http://127.0.0.1:{PORT}"


def sh(cmd, env=None, check=True, capture=False):
    return subprocess.run(cmd, env=env, check=check, text=True,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.PIPE if capture else None)


def ensure_wrk():
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0:
        sh(["apt-get", "install", "-y", "wrk"], check=False)
        if not shutil.which("wrk"):
            sh(["apt-get", "update"], check=False)
            sh(["apt-get", "install", "-y", "wrk"])
    if not shutil.which("wrk"):
        sys.exit("wrk is required: apt-get install wrk")


def http(method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


def wait_ready(proc, base=None, step=0.1):
    """Polls `/readyz` of `base` (default BASE) until it answers 200."""
    url = (base or BASE) + "/readyz"
    for _ in range(int(30 / step)):
        if proc.poll() is not None:
            sys.exit("server exited during start-up")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(step)
    sys.exit("server did not become ready")


def peak_rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def parse_latency(text, pct):
    m = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m:
        return float("nan")
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v


def run_wrk(path, seconds, connections, script=None):
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script:
        cmd += ["-s", script]
    cmd.append(BASE + path)
    out = sh(cmd, capture=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    return {"rps": rps, "p50": parse_latency(out, 50), "p99": parse_latency(out, 99), "errors": errors}


def bench_png(side=256):
    """A plain RGB PNG (a gradient) built without any image library."""
    rows = b"".join(b"\x00" + bytes((x * 7 + y * 3) % 256 for x in range(side) for _ in range(3))
                    for y in range(side))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def uploaded_image_path():
    """Uploads one goods picture as a seeded resident and answers its
    `/media/{key}` path (served from the instance's in-memory cache once warm)."""
    token = http("POST", "/api/v1/auth/dev/login", {"openid": "seed-0"})["access_token"]
    boundary = "bench" + uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\ngoods_image\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + bench_png() + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(BASE + "/api/v1/uploads", data=body, method="POST")
    req.add_header("content-type", f"multipart/form-data; boundary={boundary}")
    req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=10) as r:
        url = json.loads(r.read())["url"]
    return "/media/" + url.rsplit("/", 1)[-1]


def post_script(name, tokens, path, body):
    """A wrk script that POSTs `body` to `path` as the `tokens` in turn, each
    request with its own Idempotency-Key."""
    lua = "tokens = {" + ",".join(f'"{t}"' for t in tokens) + "}\n" + f"""
counter = 0
request = function()
  counter = counter + 1
  local t = tokens[(counter % #tokens) + 1]
  local headers = {{}}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. t
  headers["Idempotency-Key"] = "bench-{name}-" .. tostring(math.random(1, 2147483647)) .. "-" .. counter
  return wrk.format("POST", "{path}", headers, '{body}')
end
"""
    script = os.path.join(tempfile.gettempdir(), f"yizhan-{name}.lua")
    with open(script, "w") as f:
        f.write(lua)
    return script


def order_script(campaign, community, how_many=64):
    """Orders of 1 unit of the hot campaign as rotating residents of its community."""
    tokens = []
    n = 0
    while len(tokens) < how_many and n < 5000:
        r = http("POST", "/api/v1/auth/dev/login", {"openid": f"seed-{n}"})
        n += 1
        if r["user"]["community_id"] == community:
            tokens.append(r["access_token"])
    return post_script("orders", tokens, f"/api/v1/group-buys/{campaign}/orders", '{"quantity": 1}')


def community_tokens(community, how_many=64, start=0):
    """Tokens of up to `how_many` seeded residents of `community`."""
    tokens, n = [], start
    while len(tokens) < how_many and n < start + 5000:
        r = http("POST", "/api/v1/auth/dev/login", {"openid": f"seed-{n}"})
        n += 1
        if r["user"]["community_id"] == community:
            tokens.append(r["access_token"])
    return tokens


def hot_goods(community):
    """The goods with the most stock among those sold in `community`."""
    r = http("GET", f"/api/v1/goods?community_id={community}&page_size=100")
    return max(r["items"], key=lambda g: g["stock"])


def restock(goods, stock=999999):
    """Sets `goods`' stock as its merchant's owner (a seeded resident
    `seed-N`; the merchants were seeded in the order of N)."""
    for n in (goods["merchant_id"] - 1, goods["merchant_id"]):
        token = http("POST", "/api/v1/auth/dev/login", {"openid": f"seed-{n}"})["access_token"]
        try:
            http("PATCH", f"/api/v1/goods/{goods['id']}", {"stock": stock}, token)
            return
        except Exception:
            continue
    raise RuntimeError(f"no seeded owner could restock goods {goods['id']}")


def shop_checkout_script(community, how_many=64):
    """Checkouts of 1 unit of one hot goods (pickup) as rotating residents of
    its community. The goods is restocked to 999,999 first, so every
    checkout of the run takes stock (a conditional update of one hot row)
    instead of meeting 409 INSUFFICIENT_STOCK."""
    goods = hot_goods(community)
    restock(goods)
    body = json.dumps({"lines": [{"goods_id": goods["id"], "quantity": 1}], "fulfilment": "pickup"})
    return post_script("checkout", community_tokens(community, how_many, 2000), "/api/v1/orders", body)


def header_script(name, headers):
    """A wrk script that sends `headers` with every request."""
    lua = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items())
    path = os.path.join(tempfile.gettempdir(), f"yizhan-{name}.lua")
    with open(path, "w") as f:
        f.write(lua)
    return path


def bench_admin_token(extra_env):
    """A platform admin for the admin rows: created once per data set, then logged in."""
    password = "bench-admin-password"
    sh([BIN, "create-admin", "--username", "bench-admin", "--password-env", "BENCH_ADMIN_PASSWORD",
        "--platform"], env=dict(extra_env, BENCH_ADMIN_PASSWORD=password), check=False, capture=True)
    r = http("POST", "/api/v1/auth/admin/login", {"username": "bench-admin", "password": password})
    return r["access_token"]


def report_script(category, how_many=64):
    """Requests reported as rotating seeded residents, each about their own building."""
    tokens = [http("POST", "/api/v1/auth/dev/login", {"openid": f"seed-{n}"})["access_token"]
              for n in range(1000, 1000 + how_many)]
    body = json.dumps({"category_id": category, "content": "楼道灯坏了，晚上很黑，请尽快修理"})
    return post_script("reports", tokens, "/api/v1/requests", body)


def activity_signup_script(community, how_many=64):
    """Sign-ups for the seeded activity of `community` whose next session is
    furthest off, as rotating residents of the community. Each resident holds
    one place per session, so after the first round the answers are 409
    ALREADY_SIGNED_UP (or SESSION_FULL): still a locked write each."""
    r = http("GET", f"/api/v1/activities?community_id={community}&page_size=100")
    sessions = [s for a in r["items"] for s in a["sessions"]]
    if not sessions:
        return None
    session = max(sessions, key=lambda s: s["starts_at"])
    tokens = community_tokens(community, how_many, 3000)
    return post_script("signups", tokens, f"/api/v1/activity-sessions/{session['id']}/signups", "{}")


def leaf_category():
    """The first leaf of the request category tree."""
    for top in http("GET", "/api/v1/request-categories"):
        for child in top["children"]:
            return child["id"]
        return top["id"]


def hottest_campaign():
    """The ongoing campaign with the most to sell: the seeded month-long one."""
    best, page = None, 1
    while True:
        r = http("GET", f"/api/v1/group-buys?status=ongoing&page_size=100&page={page}")
        for g in r["items"]:
            if best is None or g["total_quantity"] > best["total_quantity"]:
                best = g
        if page * 100 >= r["total"]:
            return best
        page += 1


def scenarios(extra_env):
    """(name, path, wrk lua script or None). Paths use ids discovered from the seeded data."""
    communities = http("GET", "/api/v1/communities?page_size=1")
    cid = communities["items"][0]["id"]
    goods = http("GET", f"/api/v1/goods?community_id={cid}&page_size=1")
    gid = goods["items"][0]["id"]
    hot = hottest_campaign()
    hot_community = hot["community_ids"][0]
    out = [
        ("healthz", "/healthz", None),
        ("goods list", f"/api/v1/goods?community_id={cid}&sort=sales&page_size=20", None),
        ("goods detail", f"/api/v1/goods/{gid}", None),
        ("group-buy list", f"/api/v1/group-buys?community_id={hot_community}", None),
        ("communities list", "/api/v1/communities?page_size=20", None),
    ]
    try:
        http("GET", f"/api/v1/notices?community_id={cid}")
        out.append(("notices feed", f"/api/v1/notices?community_id={cid}", None))
    except Exception:
        pass
    out.append(("media (cached image)", uploaded_image_path(), None))
    out.append(("orders (write)", "/", order_script(hot["id"], hot_community)))
    out.append(("shop checkout (write)", "/", shop_checkout_script(cid)))
    admin = bench_admin_token(extra_env)
    out.append(("request board (admin)", f"/api/v1/admin/requests?community_id={cid}&page_size=20",
                header_script("admin", {"Authorization": f"Bearer {admin}"})))
    out.append(("report a request (write)", "/", report_script(leaf_category())))
    signups = activity_signup_script(cid)
    if signups:
        out.append(("activity sign-up (write)", "/", signups))
    return out


def start_server(env, log, base=None):
    proc = subprocess.Popen([BIN, "serve"], env=env, stdout=log, stderr=log)
    wait_ready(proc, base)
    return proc


def stop(proc):
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def bench_backend(name, env, args, rows):
    log = open(os.path.join(tempfile.gettempdir(), f"yizhan-bench-{name}.log"), "w")
    t0 = time.time()
    sh([BIN, "seed", "--scale", str(args.scale)], env=env)
    seed_secs = time.time() - t0
    print(f"[{name}] seeded scale {args.scale} in {seed_secs:.1f}s", flush=True)

    proc = start_server(env, log)
    try:
        results = []
        for label, path, script in scenarios(env):
            if args.only and label not in args.only:
                continue
            # Warm-up fills caches and connection pools.
            run_wrk(path, 2, args.connections, script)
            r = run_wrk(path, args.duration, args.connections, script)
            results.append((label, r))
            print(f"[{name}] {label}: {r['rps']:.0f} req/s p50 {r['p50']:.2f} ms p99 {r['p99']:.2f} ms errors {r['errors']}", flush=True)
        rss = peak_rss_mb(proc.pid)
    finally:
        stop(proc)

    # The same goods list read with the cache off, for comparison.
    if not args.only or "goods list (cache off)" in args.only:
        rss = max(rss, bench_without_cache(name, env, args, log, results))

    ceiling = next((r["rps"] for label, r in results if label == "healthz"), 0)
    for label, r in results:
        rows.append((name, label, r, r["rps"] / ceiling if ceiling else float("nan")))
    rows.append((name, "peak RSS", {"rss": rss, "seed": seed_secs}, None))


def bench_without_cache(name, env, args, log, results):
    """The goods list read with the cache off; returns the server's peak RSS."""
    nocache_env = dict(env, YIZHAN__CACHE__TTL_SECS="0")
    proc = start_server(nocache_env, log)
    try:
        cid = http("GET", "/api/v1/communities?page_size=1")["items"][0]["id"]
        path = f"/api/v1/goods?community_id={cid}&sort=sales&page_size=20"
        run_wrk(path, 2, args.connections)
        r = run_wrk(path, args.duration, args.connections)
        results.append(("goods list (cache off)", r))
        print(f"[{name}] goods list (cache off): {r['rps']:.0f} req/s", flush=True)
        return peak_rss_mb(proc.pid)
    finally:
        stop(proc)


# --------------------------------------------------------------------------
# --mix, --soak, --instances, --startup (the traffic itself is in mix.py)


def fresh_sqlite(base_env):
    """An env on a new SQLite file in a new temporary directory: (env, dir)."""
    tmp = tempfile.mkdtemp(prefix="yizhan-bench-")
    return dict(base_env, YIZHAN__DATABASE__URL=f"sqlite://{tmp}/bench.db?mode=rwc",
                YIZHAN__MEDIA__FS_ROOT=os.path.join(tmp, "media")), tmp


def fresh_pg(base_env, args, name):
    """An env on a new PostgreSQL database `yz_bench_<name>` and its own Redis
    key prefix: (env, database)."""
    db = f"yz_bench_{name}"
    sh(["psql", f"{args.pg_url}/postgres", "-qc", f"drop database if exists {db} with (force)"])
    sh(["psql", f"{args.pg_url}/postgres", "-qc", f"create database {db}"])
    return dict(base_env, YIZHAN__DATABASE__URL=f"{args.pg_url}/{db}",
                YIZHAN__MEDIA__FS_ROOT=tempfile.mkdtemp(prefix="yizhan-bench-media-"),
                YIZHAN__REDIS__URL=args.redis_url,
                YIZHAN__REDIS__KEY_PREFIX=f"yz_bench_{name}_{int(time.time())}:"), db


def drop_pg(env, args, db):
    """Drops the bench database and the Redis keys of the run's prefix."""
    sh(["psql", f"{args.pg_url}/postgres", "-qc", f"drop database if exists {db} with (force)"], check=False)
    prefix = env["YIZHAN__REDIS__KEY_PREFIX"]
    host, port = args.redis_url.split("//", 1)[1].split(":")
    keys = sh(["redis-cli", "-h", host, "-p", port, "--scan", "--pattern", prefix + "*"],
              check=False, capture=True).stdout.split()
    for i in range(0, len(keys), 500):
        sh(["redis-cli", "-h", host, "-p", port, "del", *keys[i:i + 500]], check=False, capture=True)


def seed(env, args, name):
    t0 = time.time()
    sh([BIN, "seed", "--scale", str(args.scale)], env=env, capture=True)
    print(f"[{name}] seeded scale {args.scale} in {time.time() - t0:.1f}s", flush=True)


def mix_backend(name, env, args):
    """--mix on one backend: seed, start the server, prepare, run the mixed
    workload for --duration seconds, print the table, peak RSS and checks."""
    seed(env, args, name)
    fake = mix.FakeWechat()
    env = mix.server_env(env, fake.port)
    log = open(os.path.join(tempfile.gettempdir(), f"yizhan-mix-{name}.log"), "w")
    proc = start_server(env, log)
    try:
        plan = mix.prepare(BASE, BIN, env, mix.new_workdir())
        plan["kinds"] = [k for k in plan["kinds"] if k[0] not in args.mix_skip]
        results = mix.run_mix(BASE, plan, args.duration)
        errors = mix.print_table(f"[{name}] mix, scale {args.scale}, {args.duration}s, "
                                 f"{sum(c for _, c, _ in plan['kinds'])} connections", results)
        print(f"[{name}] server peak RSS {peak_rss_mb(proc.pid):.0f} MB; errors {errors}")
        passed = mix.check_orders(env, plan) & mix.check_push(env, plan, fake)
        print(f"[{name}] {'PASS' if passed and errors == 0 else 'FAIL'}")
    finally:
        stop(proc)
        fake.close()


def soak(env, args):
    """--soak N on the embedded default: the mix in 60 s chunks, the server's
    RSS sampled every 10 s; prints RSS after minute 1 vs at the end and the
    p99 per chunk."""
    seed(env, args, "embedded")
    fake = mix.FakeWechat()
    env = mix.server_env(env, fake.port)
    log = open(os.path.join(tempfile.gettempdir(), "yizhan-soak.log"), "w")
    proc = start_server(env, log)
    samples, stop_sampling = [], threading.Event()

    def sample():
        t0 = time.time()
        while not stop_sampling.wait(10):
            samples.append((time.time() - t0, mix.rss_mb(proc.pid)))

    try:
        plan = mix.prepare(BASE, BIN, env, mix.new_workdir())
        threading.Thread(target=sample, daemon=True).start()
        chunks = []
        for i in range(max(1, args.soak // 60)):
            results = mix.run_mix(BASE, plan, 60)
            rows, rps, _ = mix.summarise(results)
            p99 = {k: p for k, _, _, _, p, _, _, _ in rows}
            chunks.append((i + 1, rps, p99, sum(r[7] for r in rows), mix.rss_mb(proc.pid)))
            print(f"[soak] minute {i + 1}: {rps:.0f} req/s, p99 feed {p99.get('notices feed', 0):.2f} ms, "
                  f"orders A {p99.get('order hot A', 0):.2f} ms, errors {chunks[-1][3]}, "
                  f"RSS {chunks[-1][4]:.1f} MB", flush=True)
        stop_sampling.set()
        kinds = [k for k, _, _ in plan["kinds"]]
        print(f"\nsoak: {len(chunks)} chunks of 60 s, scale {args.scale}, embedded")
        print("| minute | req/s | " + " | ".join(f"p99 {k}" for k in kinds) + " | errors | RSS MB |")
        print("|---:|---:|" + "---:|" * len(kinds) + "---:|---:|")
        for n, rps, p99, errors, rss in chunks:
            print(f"| {n} | {rps:.0f} | " + " | ".join(f"{p99.get(k, float('nan')):.2f}" for k in kinds)
                  + f" | {errors} | {rss:.1f} |")
        first = next((r for t, r in samples if t >= 60), chunks[0][4])
        last = samples[-1][1] if samples else chunks[-1][4]
        print(f"RSS samples (s, MB): " + ", ".join(f"{t:.0f}:{r:.1f}" for t, r in samples))
        growth = (last - first) / first
        print(f"{'PASS' if abs(growth) <= 0.10 else 'FAIL'} RSS after minute 1 {first:.1f} MB, at the end "
              f"{last:.1f} MB ({growth:+.1%}; target within 10%); peak {peak_rss_mb(proc.pid):.0f} MB; "
              f"errors {sum(c[3] for c in chunks)}")
        mix.check_orders(env, plan)
        mix.check_push(env, plan, fake)
    finally:
        stop_sampling.set()
        stop(proc)
        fake.close()


def instances(env, args):
    """--instances 2: two servers on PostgreSQL + Redis behind nginx
    (api/deploy/nginx.conf rendered with this run's ports), the mix through
    nginx, the second instance killed with SIGKILL half way; then the checks."""
    seed(env, args, "pg+redis")
    fake = mix.FakeWechat()
    env = mix.server_env(env, fake.port)
    env["YIZHAN__SERVER__TRUST_FORWARDED_FOR"] = "true"
    ports = [PORT + 1 + i for i in range(args.instances)]
    procs, workdir = [], mix.new_workdir()
    for port in ports:
        log = open(os.path.join(workdir, f"server-{port}.log"), "w")
        procs.append(start_server(dict(env, YIZHAN__SERVER__PORT=str(port)), log,
                                  f"http://127.0.0.1:{port}"))
    nginx = mix.start_nginx(os.path.join(ROOT, "api", "deploy", "nginx.conf"), ports, PORT, workdir)
    try:
        plan = mix.prepare(BASE, BIN, env, workdir)
        victim = procs[-1]

        def kill():
            victim.send_signal(signal.SIGKILL)
            print(f"  SIGKILL to instance :{ports[-1]} (pid {victim.pid}) at {args.duration / 2:.0f}s", flush=True)

        results = mix.run_mix(BASE, plan, args.duration, on_half=kill)
        errors = mix.print_table(f"[{args.instances} instances behind nginx] mix, scale {args.scale}, "
                                 f"{args.duration}s, one instance killed half way", results)
        print(f"requests failing after nginx's retry: {errors}")
        print(mix.nginx_upstream_summary(workdir))
        passed = mix.check_orders(env, plan) & mix.check_push(env, plan, fake)
        print(f"[instances] {'PASS' if passed and errors == 0 else 'FAIL'}")
    finally:
        mix.stop_nginx(nginx)
        for p in procs:
            if p.poll() is None:
                stop(p)
        fake.close()


def startup(base_env):
    """Start to ready (`yizhan serve` until `/readyz` answers 200) on a fresh
    SQLite file (every migration applied), again on the same file, and on
    it once seeded at scale 1."""
    env, tmp = fresh_sqlite(base_env)
    log = open(os.path.join(tmp, "server.log"), "w")
    times = []
    for label in ("fresh SQLite file (all migrations)", "existing SQLite file",
                  "existing SQLite file, seeded scale 1"):
        if label.endswith("seeded scale 1"):
            sh([BIN, "seed", "--scale", "1"], env=env, capture=True)
        t0 = time.perf_counter()
        proc = subprocess.Popen([BIN, "serve"], env=env, stdout=log, stderr=log)
        wait_ready(proc, step=0.005)
        times.append((label, time.perf_counter() - t0))
        stop(proc)
    for label, secs in times:
        print(f"start to ready, {label}: {secs * 1000:.0f} ms")
    shutil.rmtree(tmp, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=int, default=1)
    p.add_argument("--backend", choices=["embedded", "pg", "both"], default="both")
    p.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379")
    p.add_argument("--skip-build", action="store_true")
    p.add_argument("--only", type=lambda s: [x.strip() for x in s.split(",")], default=None,
                   help="comma-separated endpoint labels to run, e.g. 'healthz,orders (write)'")
    p.add_argument("--mix", action="store_true", help="the mixed workload (mix.py) for --duration seconds")
    p.add_argument("--instances", type=int, default=0,
                   help="N instances on PostgreSQL + Redis behind nginx running the mix; one killed half way")
    p.add_argument("--soak", type=int, default=0, help="the mix for this many seconds (embedded), 60 s chunks")
    p.add_argument("--startup", action="store_true", help="start-to-ready times on SQLite")
    p.add_argument("--mix-skip", type=lambda s: [x.strip() for x in s.split(",")], default=[],
                   help="kinds of the mix left out (to find what costs), e.g. 'merchant edits goods'")
    args = p.parse_args()

    ensure_wrk()
    if not args.skip_build:
        sh(["cargo", "build", "--release", "-p", "yizhan"], env=dict(os.environ))

    base_env = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN")}
    base_env.update({
        "YIZHAN_ENV": "development",
        "YIZHAN_CONFIG_DIR": os.path.join(ROOT, "config"),
        "YIZHAN__SERVER__PORT": str(PORT),
        "YIZHAN__LOG__LEVEL": "warn",
        # The benchmark measures the writes, not the limiter in front of
        # them: 64 residents writing thousands of times a second.
        "YIZHAN__RATE_LIMIT__LOGIN_PER_MINUTE": "1000000",
        "YIZHAN__RATE_LIMIT__WRITES_PER_MINUTE_PER_USER": "100000000",
        "YIZHAN__RATE_LIMIT__WRITES_PER_MINUTE_PER_IP": "100000000",
    })
    if args.mix or args.instances or args.soak or args.startup:
        return special_modes(base_env, args)
    rows = []
    if args.backend in ("embedded", "both"):
        tmp = tempfile.mkdtemp(prefix="yizhan-bench-")
        env = dict(base_env, YIZHAN__DATABASE__URL=f"sqlite://{tmp}/bench.db?mode=rwc",
                   YIZHAN__MEDIA__FS_ROOT=os.path.join(tmp, "media"))
        bench_backend("embedded", env, args, rows)
        shutil.rmtree(tmp, ignore_errors=True)
    if args.backend in ("pg", "both"):
        db = f"yz_bench_s{args.scale}"
        sh(["psql", f"{args.pg_url}/postgres", "-qc", f"drop database if exists {db}"])
        sh(["psql", f"{args.pg_url}/postgres", "-qc", f"create database {db}"])
        prefix = f"yzbench{int(time.time())}:"
        media_root = tempfile.mkdtemp(prefix="yizhan-bench-media-")
        env = dict(base_env, YIZHAN__DATABASE__URL=f"{args.pg_url}/{db}",
                   YIZHAN__MEDIA__FS_ROOT=media_root,
                   YIZHAN__REDIS__URL=args.redis_url, YIZHAN__REDIS__KEY_PREFIX=prefix)
        try:
            bench_backend("pg+redis", env, args, rows)
        finally:
            drop_pg(env, args, db)
            shutil.rmtree(media_root, ignore_errors=True)

    print()
    print(f"scale {args.scale}, {args.connections} connections, {args.duration}s per endpoint, wrk -t2, "
          f"{os.cpu_count()} cores")
    print(f"| backend | endpoint | req/s | p50 ms | p99 ms | errors | vs healthz |")
    print(f"|---|---|---:|---:|---:|---:|---:|")
    for backend, label, r, ratio in rows:
        if label == "peak RSS":
            print(f"| {backend} | server peak RSS: {r['rss']:.0f} MB; seed {r['seed']:.1f}s | | | | | |")
        else:
            print(f"| {backend} | {label} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['errors']} | {ratio:.0%} |")


def special_modes(base_env, args):
    """--startup, --soak, --instances and --mix, in that order."""
    if args.startup:
        startup(base_env)
    if args.soak:
        env, tmp = fresh_sqlite(base_env)
        soak(env, args)
        shutil.rmtree(tmp, ignore_errors=True)
    if args.instances:
        env, db = fresh_pg(base_env, args, f"i{args.instances}_s{args.scale}")
        try:
            instances(env, args)
        finally:
            drop_pg(env, args, db)
    if args.mix and args.backend in ("embedded", "both"):
        env, tmp = fresh_sqlite(base_env)
        mix_backend("embedded", env, args)
        shutil.rmtree(tmp, ignore_errors=True)
    if args.mix and args.backend in ("pg", "both"):
        env, db = fresh_pg(base_env, args, f"mix_s{args.scale}")
        try:
            mix_backend("pg+redis", env, args)
        finally:
            drop_pg(env, args, db)


if __name__ == "__main__":
    main()
