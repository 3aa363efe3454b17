#!/usr/bin/env python3
"""Cross-checks kq's cron schedules against the CronJob controller's own parser.

Builds tests/schedule/robfig (robfig/cron/v3, which kube-controller-manager uses to read
spec.schedule and compute the next run) with the Go that builds the test control plane, then feeds
the same generated cases to it and to kq's cron_next: random five-field schedules (numbers, names,
ranges, steps, lists, stars), macros and invalid ones, in UTC and in zones with daylight saving
(30-minute changes and historic midnight changes included), from random instants and from instants
just before each zone's changes. Every answer must be equal: the next run, "none" or "error".

usage: crosscheck.py CRON_NEXT BUILD_DIR
"""
import os
import random
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ZONES = ["", "UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata",
         "America/Sao_Paulo", "Pacific/Chatham", "America/Havana", "Europe/London"]
MONTHS = ["jan", "FEB", "Mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "Mon", "TUE", "wed", "thu", "fri", "sat"]
# (min, max, names, first name's value)
FIELDS = [(0, 59, None, 0), (0, 23, None, 0), (1, 31, None, 1), (1, 12, MONTHS, 1), (0, 6, DAYS, 0)]


def find_go():
    go = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)
    if not go:
        sys.exit("crosscheck: Go is needed (the one that builds the test control plane)")
    return go


def value(rng, field):
    low, high, names, first = field
    v = rng.randint(low, high)
    if names and rng.random() < 0.3:
        return names[v - first]
    return str(v)


def part(rng, field):
    low, high, _, _ = field
    kind = rng.random()
    if kind < 0.25:
        text = rng.choice(["*", "?"])
        if rng.random() < 0.5:
            text += "/" + str(rng.randint(1, 12))
        return text
    if kind < 0.5:
        return value(rng, field)
    if kind < 0.8:
        a, b = sorted([rng.randint(low, high), rng.randint(low, high)])
        text = f"{a}-{b}"
        if rng.random() < 0.4:
            text += "/" + str(rng.randint(1, 7))
        return text
    return f"{rng.randint(low, high)}/{rng.randint(1, 10)}"


def expression(rng):
    r = rng.random()
    if r < 0.05:
        return rng.choice(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"])
    if r < 0.08:  # invalid on purpose
        return rng.choice(["60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 7", "5-1 * * * *",
                           "*/0 * * * *", "* * * *", "* * * * * *", "@every 5m", "@often", "a * * * *",
                           "1-2-3 * * * *", "1/2/3 * * * *", "-1 * * * *", "TZ=UTC * * * * *"])
    if r < 0.12:  # days that rarely or never come
        return rng.choice(["0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 12 29 2 *", "0 0 31 * *", "0 0 29 2 1"])
    fields = []
    for i, field in enumerate(FIELDS):
        if rng.random() < (0.3 if i >= 2 else 0.15):
            fields.append("*")
            continue
        fields.append(",".join(part(rng, field) for _ in range(1 if rng.random() < 0.7 else rng.randint(2, 3))))
    return " ".join(fields)


def transitions(zone):
    """Instants shortly before the zone's offset changes between 1995 and 2030, found by bisection."""
    if zone in ("", "UTC"):
        return []
    os.environ["TZ"] = ":" + zone
    import time
    time.tzset()
    found = []
    t = 788918400  # 1995-01-01
    end = 1893456000  # 2030-01-01
    step = 6 * 3600
    offset = time.localtime(t).tm_gmtoff
    while t < end:
        n = t + step
        o = time.localtime(n).tm_gmtoff
        if o != offset:
            lo, hi = t, n
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if time.localtime(mid).tm_gmtoff == offset:
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
            offset = o
        t = n
    del os.environ["TZ"]
    time.tzset()
    return found


def main():
    cron_next, build_dir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    rng = random.Random(20261205)
    cases = []
    for zone in ZONES:
        changes = transitions(zone)
        for _ in range(600):
            start = rng.randint(946684800, 1924992000)  # 2000 to 2031
            cases.append((expression(rng), zone, start))
        for change in changes[:: max(1, len(changes) // 40)]:
            for _ in range(6):
                cases.append((expression(rng), zone, change - rng.randint(0, 3 * 86400)))
            # Every minute and hour across the change, from just before it.
            for fixed in ["* * * * *", "*/30 * * * *", "0 * * * *", "30 2 * * *", "0 0 * * *", "15 1 * * *",
                          "59 23 * * *", "0 3 * * *"]:
                cases.append((fixed, zone, change - rng.randint(1, 7200)))
    text = "".join(f"{e}\t{z}\t{s}\n" for e, z, s in cases)

    robfig = os.path.join(build_dir, "robfig-next")
    env = dict(os.environ, CGO_ENABLED="0")
    subprocess.run([find_go(), "build", "-o", robfig, "."], cwd=os.path.join(HERE, "robfig"), env=env, check=True)
    theirs = subprocess.run([robfig], input=text, capture_output=True, text=True, check=True).stdout.split("\n")
    ours = subprocess.run([cron_next], input=text, capture_output=True, text=True, check=True).stdout.split("\n")
    mismatches = [(c, t, o) for c, t, o in zip(cases, theirs, ours) if t != o]
    kinds = {}
    for answer in theirs[: len(cases)]:
        key = "error" if answer == "error" else "none" if answer == "none" else "time"
        kinds[key] = kinds.get(key, 0) + 1
    print(f"crosscheck: {len(cases)} cases ({kinds}), {len(mismatches)} differ")
    for (expr, zone, start), t, o in mismatches[:15]:
        print(f"  {expr!r} zone={zone or 'UTC(default)'} after={start}: robfig {t}, kq {o}")
    return 1 if mismatches or len(ours) < len(cases) else 0


if __name__ == "__main__":
    sys.exit(main())
