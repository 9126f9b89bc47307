#!/usr/bin/env python3
"""Record what real Apache Flink 1.20.3 emits for the conformance cases.

Usage:
    python tools/conformance/flink/flink_record.py [CASE_DIR ...]

With no arguments every case under fixtures/conformance/flink/ (each directory holding a
case.json) is run. For each case the Java job FlinkConformanceJob.java (next to this file) is
run on a local MiniCluster and <case>/flink_output.jsonl is overwritten.

Environment (see README.md):
    FLINK_VENV   venv with apache-flink==1.20.3 (default /work/venv-flink)
    JAVA_HOME    JDK 17 with javac (default /usr/lib/jvm/java-17-openjdk-amd64)
    FLINK_BUILD  where compiled classes go, outside the repo (default /work/flink-build)

The job is compiled only when the Java source changed (hash stamp in FLINK_BUILD). Cases run
one after the other (one JVM per case).
"""
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FIXTURES = os.path.join(REPO, "fixtures", "conformance", "flink")
JAVA_SRC = os.path.join(HERE, "FlinkConformanceJob.java")
MAIN_CLASS = "FlinkConformanceJob"
REPORTER_SERVICE = "org.apache.flink.metrics.reporter.MetricReporterFactory"

VENV = os.environ.get("FLINK_VENV", "/work/venv-flink")
JAVA_HOME = os.environ.get("JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64")
BUILD = os.environ.get("FLINK_BUILD", "/work/flink-build")


def pyflink_dir():
    hits = glob.glob(os.path.join(VENV, "lib", "python*", "site-packages", "pyflink"))
    if not hits:
        sys.exit(f"pyflink not found in {VENV}; install with: python3 -m venv {VENV} && "
                 f"{VENV}/bin/pip install 'apache-flink==1.20.3'")
    return hits[0]


def java_opts(pyflink):
    """env.java.opts.all from the wheel's conf/config.yaml (the --add-exports/--add-opens list)."""
    opts = []
    with open(os.path.join(pyflink, "conf", "config.yaml")) as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("all:") and i > 0 and "opts" in "".join(lines[max(0, i - 3):i]):
            opts = s[len("all:"):].split()
            break
    return opts


def classpath(pyflink):
    lib = os.path.join(pyflink, "lib")
    jars = sorted(glob.glob(os.path.join(lib, "*.jar")))
    if not any(os.path.basename(j) == "flink-dist-1.20.3.jar" for j in jars):
        sys.exit("flink-dist-1.20.3.jar not found in " + lib)
    return jars


def compile_job(pyflink):
    classes = os.path.join(BUILD, "classes")
    with open(JAVA_SRC, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    stamp = os.path.join(BUILD, "source.sha256")
    if os.path.exists(stamp) and open(stamp).read().strip() == digest and \
            os.path.exists(os.path.join(classes, MAIN_CLASS + ".class")):
        return classes
    if os.path.isdir(classes):
        shutil.rmtree(classes)
    os.makedirs(os.path.join(classes, "META-INF", "services"))
    cp = ":".join(classpath(pyflink))
    cmd = [os.path.join(JAVA_HOME, "bin", "javac"), "-nowarn", "-encoding", "UTF-8", "-d", classes, "-cp", cp, JAVA_SRC]
    print("compiling", os.path.basename(JAVA_SRC), "->", classes, flush=True)
    subprocess.run(cmd, check=True)
    # metric reporter that captures the numLateRecordsDropped counters
    with open(os.path.join(classes, "META-INF", "services", REPORTER_SERVICE), "w") as f:
        f.write(MAIN_CLASS + "$CapFactory\n")
    with open(stamp, "w") as f:
        f.write(digest + "\n")
    return classes


def run_case(case_dir, classes, pyflink):
    case_dir = os.path.abspath(case_dir)
    if not os.path.exists(os.path.join(case_dir, "case.json")):
        sys.exit(f"{case_dir}: no case.json")
    cp = ":".join([classes] + classpath(pyflink))
    fd, tmp = tempfile.mkstemp(prefix="flink_output_", suffix=".jsonl")
    os.close(fd)
    log_dir = os.path.join(BUILD, "logs")
    os.makedirs(log_dir, exist_ok=True)
    log_path = os.path.join(log_dir, os.path.basename(case_dir) + ".log")
    cmd = [os.path.join(JAVA_HOME, "bin", "java")] + java_opts(pyflink) + \
          ["-Dlog4j2.level=WARN", "-cp", cp, MAIN_CLASS, case_dir, tmp]
    env = dict(os.environ, JAVA_HOME=JAVA_HOME, TZ="UTC")
    t0 = time.time()
    with open(log_path, "w") as log:
        rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tempfile.gettempdir()).returncode
    dt = time.time() - t0
    if rc != 0:
        os.unlink(tmp)
        print(f"{os.path.basename(case_dir)}: FAILED, java exited with {rc}; see {log_path}", flush=True)
        return dt, False
    shutil.move(tmp, os.path.join(case_dir, "flink_output.jsonl"))
    notes = [l.strip() for l in open(log_path) if "CONFORMANCE-NOTE" in l]
    print(f"{os.path.basename(case_dir)}: ok ({dt:.1f} s)", flush=True)
    for n in notes:
        print("   ", n)
    return dt, True


def main(argv):
    cases = argv or sorted(os.path.dirname(p) for p in glob.glob(os.path.join(FIXTURES, "*", "case.json")))
    if not cases:
        sys.exit("no cases found under " + FIXTURES)
    pyflink = pyflink_dir()
    classes = compile_job(pyflink)
    total = 0.0
    failed = []
    for c in cases:
        dt, ok = run_case(c, classes, pyflink)
        total += dt
        if not ok:
            failed.append(os.path.basename(os.path.abspath(c)))
    print(f"{len(cases)} case(s), {total:.1f} s of Flink runs")
    if failed:
        sys.exit("failed: " + ", ".join(failed))


if __name__ == "__main__":
    main(sys.argv[1:])
