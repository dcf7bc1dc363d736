#!/usr/bin/env python3
"""Where a JFR recording's CPU samples went: the hottest methods by own time and by total time, per thread group.

    bench/export.sh --events=1000000 --batch=20 --baseline=false \
        --jvm="-Xmx256m -XX:StartFlightRecording=filename=/tmp/x.jfr,settings=profile,delay=40s"
    bench/jfr-top.py /tmp/x.jfr [--thread=REGEX] [--top=40] [--match=REGEX]

--match also prints, for the frames whose method matches, how many samples passed through them
(e.g. --match='dev\\.tee\\.' shows which of our methods the time is under); --callers=REGEX prints
the call paths into the methods that match.
"""
import argparse
import collections
import json
import re
import subprocess
import sys


def samples(path):
    out = subprocess.run(["jfr", "print", "--json", "--events", "jdk.ExecutionSample", "--stack-depth", "96", path],
                         check=True, capture_output=True, text=True).stdout
    for event in json.loads(out)["recording"]["events"]:
        values = event["values"]
        thread = (values.get("sampledThread") or {}).get("javaName") or "?"
        frames = []
        for frame in (values.get("stackTrace") or {}).get("frames", []):
            method = frame["method"]
            frames.append(method["type"]["name"].replace("/", ".") + "." + method["name"])
        yield thread, frames


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("recording")
    parser.add_argument("--thread", default=".")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default=None)
    parser.add_argument("--callers", default=None, help="print the call paths (innermost first) into methods matching this")
    args = parser.parse_args()
    threads = collections.Counter()
    own = collections.Counter()
    total = collections.Counter()
    matched = collections.Counter()
    paths = collections.Counter()
    count = 0
    for thread, frames in samples(args.recording):
        group = re.sub(r"\d+", "N", thread)
        threads[group] += 1
        if not re.search(args.thread, thread) or not frames:
            continue
        count += 1
        own[frames[0]] += 1
        for method in set(frames):
            total[method] += 1
        if args.callers:
            for i, method in enumerate(frames):
                if re.search(args.callers, method):
                    paths[" <- ".join(f.rsplit(".", 2)[-2] + "." + f.rsplit(".", 1)[-1] for f in frames[i:i + 8])] += 1
                    break
        if args.match:
            for method in set(m for m in frames if re.search(args.match, m)):
                matched[method] += 1
    print("samples by thread (digits folded):")
    for group, n in threads.most_common(25):
        print(f"  {n:7d}  {group}")
    print(f"\n{count} samples in threads matching {args.thread!r}\n\nown time:")
    for method, n in own.most_common(args.top):
        print(f"  {100.0 * n / count:5.1f}%  {method}")
    print("\ntotal time (the method or anything it called):")
    for method, n in total.most_common(args.top):
        print(f"  {100.0 * n / count:5.1f}%  {method}")
    if args.match:
        print(f"\ntotal time of the methods matching {args.match!r}:")
        for method, n in matched.most_common(args.top):
            print(f"  {100.0 * n / count:5.1f}%  {method}")

    if args.callers:
        print(f"\ncall paths into {args.callers!r}:")
        for path, n in paths.most_common(args.top):
            print(f"  {100.0 * n / count:5.1f}%  {path}")


if __name__ == "__main__":
    sys.exit(main())
