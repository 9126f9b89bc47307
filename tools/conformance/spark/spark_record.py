#!/usr/bin/env python3
"""Record what real Apache Spark 3.5.3 Structured Streaming emits for a conformance case.

Usage:
    python tools/conformance/spark/spark_record.py [CASE_DIR ...]

With no argument every directory under fixtures/conformance/spark/ that holds a case.json is
recorded. For each case directory the recorder reads case.json + tape.jsonl, runs the query in
real Spark (local[1], one SparkSession reused across cases, a fresh checkpoint per case) and
writes spark_output.jsonl (overwritten). See README.md beside this file for the formats and the
exact tape -> micro-batch mapping.

Needs pyspark==3.5.3 and a Java 17 (JAVA_HOME). Nothing is fetched from the network.
"""
import json
import os
import shutil
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FIXTURES = os.path.join(REPO, "fixtures", "conformance", "spark")

if "JAVA_HOME" not in os.environ and os.path.isdir("/usr/lib/jvm/java-17-openjdk-amd64"):
    os.environ["JAVA_HOME"] = "/usr/lib/jvm/java-17-openjdk-amd64"

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

ENGINE = "spark"
MTIME_BASE = 1_700_000_000  # fixed file mtimes (s): base + tick, so file order never ties

TYPE_DDL = {
    "string": "STRING", "long": "BIGINT", "bigint": "BIGINT", "int": "INT", "integer": "INT",
    "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN", "short": "SMALLINT",
}
WRAPPER_DDL = "seq BIGINT, partition INT, key STRING, value STRING"


# ----------------------------------------------------------------------------------------------
# helpers

def tick_of(arrival_ms, trigger_ms):
    """tick 0: arrival <= 0; tick k >= 1: (k-1)*T < arrival <= k*T."""
    if arrival_ms <= 0:
        return 0
    return -(-arrival_ms // trigger_ms)


def iso_to_ms(s):
    """'1970-01-01T00:01:05.000Z' -> 65000 (UTC, as StreamingQueryProgress formats it)."""
    if s is None:
        return None
    import datetime as dt
    d = dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    delta = d - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000


def us_to_ms(us):
    if us is None:
        return None
    return us // 1000 if us % 1000 == 0 else us / 1000.0


def json_safe(v):
    """NaN / +-Infinity are not JSON: written as the strings "NaN", "Infinity", "-Infinity"."""
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return "NaN" if v != v else ("Infinity" if v > 0 else "-Infinity")
    if isinstance(v, dict):
        return {k: json_safe(x) for k, x in v.items()}
    if isinstance(v, list):
        return [json_safe(x) for x in v]
    return v


def dumps(obj):
    return json.dumps(json_safe(obj), separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sort_key_value(v):
    return (0, 0) if v is None else (1, v)


def read_log_file(path):
    """Lines of an offsets/N or commits/N file; JSON lines decoded."""
    with open(path) as f:
        lines = f.read().split("\n")
    out = []
    for ln in lines:
        if ln == "":
            continue
        try:
            out.append(json.loads(ln))
        except ValueError:
            out.append(ln)
    return out


# ----------------------------------------------------------------------------------------------
# query construction

def schema_ddl(case):
    return ", ".join("`%s` %s" % (n, TYPE_DDL[t.lower()]) for n, t in case["schema"])


def event_time_expr(case):
    c = "`%s`" % case["event_time_column"]
    unit = case.get("event_time_unit", "ms")
    if unit == "ms":
        return F.expr("timestamp_millis(%s)" % c)
    if unit == "s":
        return F.expr("timestamp_seconds(%s)" % c)
    if unit == "ms_div1000_cast":  # seed week6 job: (col("event_time") / 1000).cast("timestamp")
        return (F.col(case["event_time_column"]) / 1000).cast("timestamp")
    raise ValueError("unknown event_time_unit %r" % unit)


def is_windowless_passthrough(case):
    return not case.get("aggregates")


def source_df(spark, case, in_dir, delay_ms):
    raw = spark.readStream.format("text").option("maxFilesPerTrigger", 1).load(in_dir)
    rec = raw.select(F.from_json(F.col("value"), WRAPPER_DDL).alias("r")).select("r.*")
    parsed = rec.select("seq", "partition", "key",
                        F.from_json(F.col("value"), schema_ddl(case)).alias("d")).select(
        "seq", "partition", "key", "d.*")
    for col, typ in (case.get("casts") or {}).items():
        parsed = parsed.withColumn(col, F.col(col).cast(TYPE_DDL[typ.lower()].lower()))
    if case.get("event_time_column") and (case.get("window") or delay_ms is not None):
        parsed = parsed.withColumn("ts", event_time_expr(case))
    if delay_ms is not None:
        parsed = parsed.withWatermark("ts", "%d milliseconds" % delay_ms)
    return parsed


AGG_FN = {
    "count": lambda c: F.count(F.lit(1)) if c == "*" else F.count(F.col(c)),
    "first": lambda c: F.first(F.col(c)),
    "last": lambda c: F.last(F.col(c)),
    "max": lambda c: F.max(F.col(c)),
    "min": lambda c: F.min(F.col(c)),
    "sum": lambda c: F.sum(F.col(c)),
    "avg": lambda c: F.avg(F.col(c)),
}


def build_query_df(spark, case, in_dirs):
    union = case.get("union")
    if union:
        delays = union["watermark_delays_ms"]
        parts = [source_df(spark, case, d, delays[i]) for i, d in enumerate(in_dirs)]
        df = parts[0]
        for p in parts[1:]:
            df = df.union(p)
    else:
        df = source_df(spark, case, in_dirs[0], case.get("watermark_delay_ms"))

    if is_windowless_passthrough(case):
        cols = ["seq", "partition", "key"] + [n for n, _ in case["schema"]]
        return df.select(*cols)

    groups = []
    w = case.get("window")
    if w:
        if w["type"] == "tumbling":
            wc = F.window("ts", "%d milliseconds" % w["size_ms"])
        elif w["type"] == "sliding":
            wc = F.window("ts", "%d milliseconds" % w["size_ms"], "%d milliseconds" % w["slide_ms"])
        elif w["type"] == "session":
            wc = F.session_window("ts", "%d milliseconds" % w["gap_ms"])
        else:
            raise ValueError(w)
        groups.append(wc.alias("w"))
    groups += [F.col(g) for g in case.get("group_by", [])]
    aggs = [AGG_FN[a["fn"]](a["column"]).alias(a["as"]) for a in case["aggregates"]]
    out = df.groupBy(*groups).agg(*aggs)
    sel = []
    if w:
        sel += [F.unix_micros(F.col("w.start")).alias("__ws_us"),
                F.unix_micros(F.col("w.end")).alias("__we_us")]
    sel += [F.col(g) for g in case.get("group_by", [])]
    sel += [F.col(a["as"]) for a in case["aggregates"]]
    return out.select(*sel)


# ----------------------------------------------------------------------------------------------
# one case

class CaseRun:
    def __init__(self, spark, case_dir):
        self.spark = spark
        self.case_dir = case_dir
        with open(os.path.join(case_dir, "case.json")) as f:
            self.case = json.load(f)
        with open(os.path.join(case_dir, "tape.jsonl")) as f:
            self.tape = [json.loads(ln) for ln in f if ln.strip()]
        c = self.case
        assert c.get("engine", ENGINE) == ENGINE
        self.T = c["trigger_ms"]
        self.regime = c.get("regime", "tick")
        self.n_inputs = c["union"]["inputs"] if c.get("union") else 1
        # tick -> records in (arrival_ms, seq) order
        self.ticks = {}
        for r in sorted(self.tape, key=lambda r: (r["arrival_ms"], r["seq"])):
            self.ticks.setdefault(tick_of(r["arrival_ms"], self.T), []).append(r)
        self.data_ticks = sorted(self.ticks)
        self.actions = list(c.get("actions") or [])

    # -- files ---------------------------------------------------------------------------------
    def file_name(self, tick):
        return "tick_%06d.txt" % tick

    def write_tick(self, tick):
        """Move this tick's file(s) atomically into the watched folder(s)."""
        assert tick not in self.written
        self.written.append(tick)
        per_input = {}
        for r in self.ticks[tick]:
            i = r.get("partition", 0) if self.n_inputs > 1 else 0
            per_input.setdefault(i, []).append(r)
        for i, recs in sorted(per_input.items()):
            stage = os.path.join(self.work, "stage", self.file_name(tick))
            with open(stage, "w") as f:
                for r in recs:
                    f.write(dumps({"seq": r["seq"], "partition": r.get("partition", 0),
                                   "key": r.get("key"), "value": r["value"]}) + "\n")
            os.utime(stage, (MTIME_BASE + tick, MTIME_BASE + tick))
            os.rename(stage, os.path.join(self.in_dirs[i], self.file_name(tick)))

    # -- batch classification -------------------------------------------------------------------
    def source_lines(self, batch_id):
        lines = read_log_file(os.path.join(self.ckpt, "offsets", str(batch_id)))
        return lines[2:]

    def files_of_source_batch(self, src, log_offset):
        """Ticks of the files a FileStreamSource log entry lists (handles .compact files)."""
        d = os.path.join(self.ckpt, "sources", str(src))
        p = os.path.join(d, str(log_offset))
        if not os.path.exists(p):
            p = os.path.join(d, "%d.compact" % log_offset)
        ticks = []
        for e in read_log_file(p)[1:]:
            if isinstance(e, dict) and e.get("batchId") == log_offset:
                name = os.path.basename(e["path"])
                ticks.append(int(name[len("tick_"):-len(".txt")]))
        return ticks

    def classify(self, batch_id):
        """('data', tick) or ('no-data', None) from offsets/N vs offsets/N-1."""
        cur = self.source_lines(batch_id)
        prev = self.source_lines(batch_id - 1) if batch_id > 0 else ["-"] * len(cur)
        ticks = set()
        for i, (a, b) in enumerate(zip(cur, prev)):
            if a != b and a != "-":
                lo = (b["logOffset"] + 1) if isinstance(b, dict) else 0
                for off in range(lo, a["logOffset"] + 1):
                    ticks.update(self.files_of_source_batch(i, off))
        if not ticks:
            return "no-data", None
        if len(ticks) != 1:
            self.problems.append("batch %d read files of several ticks %s" % (batch_id, sorted(ticks)))
        return "data", max(ticks)

    # -- foreachBatch -------------------------------------------------------------------------
    def on_batch(self, df, batch_id):
        try:
            rows = [r.asDict(recursive=True) for r in df.collect()]
            kind, ftick = self.classify(batch_id)
            rerun = batch_id in self.seen_batches
            self.seen_batches.add(batch_id)
            if rerun or self.regime in ("once",):
                tick = self.driver_tick
            elif kind == "data":
                tick = ftick
            elif self.regime == "tick":
                tick = (self.last_label if self.last_label is not None else -1) + 1
            else:  # eager, available_now: label of the data batch just before it
                tick = self.last_label if self.last_label is not None else 0
            if kind == "data":
                self.processed_ticks.add(ftick)
            self.last_label = tick
            self.calls.append({"batch": batch_id, "tick": tick, "kind": kind, "rows": rows,
                               "run": self.run_no})
            if self.regime == "tick":
                nxt = tick + 1
                if (nxt in self.ticks and nxt not in self.written
                        and not self.restart_due_before(nxt)):
                    self.write_tick(nxt)
        except Exception:  # our own bug: make it visible, and fail the batch
            self.problems.append(traceback.format_exc())
            raise

    def restart_due_before(self, tick):
        return any(a["type"] == "restart" and not a.get("_done") and a["at_tick"] <= tick
                   for a in self.actions)

    # -- query runs ---------------------------------------------------------------------------
    def start_query(self, trigger=None):
        self.run_no += 1
        df = build_query_df(self.spark, self.case, self.in_dirs)
        w = (df.writeStream.outputMode(self.case.get("output_mode", "append"))
             .option("checkpointLocation", self.ckpt)
             .foreachBatch(self.on_batch))
        if trigger:
            w = w.trigger(**trigger)
        return w.start()

    def collect_progress(self, q):
        for p in q.recentProgress:
            if "addBatch" not in (p.get("durationMs") or {}):
                continue
            self.progress[(self.run_no, p["batchId"])] = p

    def wait_idle(self, q):
        """processAllAvailable until every written file has been processed (guards the race where
        a trigger that listed the folder before the write reports 'no new data')."""
        for _ in range(200):
            q.processAllAvailable()
            if q.exception() is not None:
                return False
            if set(self.written) <= self.processed_ticks:
                return True
            time.sleep(0.05)
        self.problems.append("files never processed: %s" % sorted(set(self.written) - self.processed_ticks))
        return False

    def query_failure(self, q):
        """Record a failed query: exception class from the JVM, first line of its message."""
        try:
            jexc = q._jsq.exception()
            if jexc.isDefined():
                e = jexc.get()
                cause = e.cause() if e.cause() is not None else e
                self.events.append((len(self.calls), {
                    "engine": ENGINE, "event": "failed",
                    "batch": self.calls[-1]["batch"] + 1 if self.calls else 0,
                    "exception": cause.getClass().getName(),
                    "message": (cause.getMessage() or "").strip().split("\n")[0]}))
                return True
        except Exception:
            self.problems.append(traceback.format_exc())
        return False

    def restart(self, q, action):
        """Stop, dump offsets/N + commits/N, delete what the action says, restart."""
        q.stop()
        self.collect_progress(q)
        n = max(int(x) for x in os.listdir(os.path.join(self.ckpt, "offsets")) if x.isdigit())
        at = len(self.calls)
        for sub in ("offsets", "commits"):
            p = os.path.join(self.ckpt, sub, str(n))
            if os.path.exists(p):
                lines = read_log_file(p)
                for ln in lines:
                    if isinstance(ln, dict):
                        ln.pop("batchTimestampMs", None)
                        ln.pop("conf", None)
                self.events.append((at, {"engine": ENGINE, "event": "checkpoint_file",
                                         "path": "%s/%d" % (sub, n), "lines": lines}))
        deleted = []
        for what in action.get("delete", ["commits/last"]):
            if what == "commits/last":
                p = os.path.join(self.ckpt, "commits", str(n))
                os.remove(p)
                crc = os.path.join(self.ckpt, "commits", ".%d.crc" % n)
                if os.path.exists(crc):
                    os.remove(crc)
                deleted.append("commits/%d" % n)
            elif what == "commits/all":
                shutil.rmtree(os.path.join(self.ckpt, "commits"))
                deleted.append("commits")
            elif what == "none":
                pass
            else:
                raise ValueError(what)
        ev = {"engine": ENGINE, "event": "restart", "after_batch": n, "tick": action["at_tick"]}
        ev["deleted"] = deleted[0] if len(deleted) == 1 else (deleted or None)
        self.events.append((at, ev))
        action["_done"] = True
        self.driver_tick = action["at_tick"]
        self.last_label = action["at_tick"] - 1 if self.regime == "tick" else self.last_label
        # any data ticks up to the restart tick that were not written yet are written now
        for t in self.data_ticks:
            if t <= action["at_tick"] and t not in self.written:
                self.write_tick(t)
        return self.start_query()

    def run_streaming(self):
        """tick and eager regimes."""
        pending = [t for t in self.data_ticks]
        first = pending[0]
        self.driver_tick = first
        self.write_tick(first)
        try:
            q = self.start_query()
        except Exception as e:  # analysis-time rejection
            self.record_start_failure(e)
            return
        while True:
            ok = self.wait_idle(q)
            if not ok:
                self.query_failure(q)
                self.collect_progress(q)
                break
            nxt = [t for t in self.data_ticks if t not in self.written]
            act = next((a for a in self.actions if a["type"] == "restart" and not a.get("_done")), None)
            if act and (not nxt or act["at_tick"] <= nxt[0]):
                q = self.restart(q, act)
                continue
            if not nxt:
                break
            self.driver_tick = nxt[0]
            self.write_tick(nxt[0])
        try:
            q.stop()
        except Exception:
            pass
        self.collect_progress(q)

    def run_once(self, available_now=False):
        """'once': one Trigger.Once run per tick from the first data tick to the last data tick
        + extra_empty_ticks. 'available_now': every file written first, one AvailableNow run."""
        if available_now:
            for t in self.data_ticks:
                self.write_tick(t)
            self.driver_tick = self.data_ticks[0]
            runs = [None]
            trig = {"availableNow": True}
        else:
            last = self.data_ticks[-1] + int(self.case.get("extra_empty_ticks", 0))
            runs = list(range(self.data_ticks[0], last + 1))
            trig = {"once": True}
        for t in runs:
            if t is not None:
                self.driver_tick = t
                if t in self.ticks:
                    self.write_tick(t)
            self.events.append((len(self.calls), {"engine": ENGINE, "event": "run_start",
                                                   "trigger": "once" if not available_now else "available_now",
                                                   "tick": t if t is not None else self.driver_tick}))
            try:
                q = self.start_query(trigger=trig)
            except Exception as e:
                self.record_start_failure(e)
                return
            q.awaitTermination()
            if q.exception() is not None:
                self.query_failure(q)
            self.collect_progress(q)

    def record_start_failure(self, e):
        """A query rejected by start() (analysis): JVM class name when py4j gives it."""
        cls = type(e).__name__
        try:
            origin = getattr(e, "_origin", None)
            if origin is not None:
                cls = origin.getClass().getName()
        except Exception:
            pass
        try:
            jcls = e.getErrorClass() if hasattr(e, "getErrorClass") else None
        except Exception:
            jcls = None
        msg = str(e).strip().split("\n")[0]
        ev = {"engine": ENGINE, "event": "failed", "batch": None, "exception": cls, "message": msg}
        if jcls:
            ev["error_class"] = jcls
        self.events.append((len(self.calls), ev))

    # -- output -------------------------------------------------------------------------------
    def row_out(self, call, wm, row):
        out = {"engine": ENGINE, "batch": call["batch"], "tick": call["tick"], "kind": call["kind"],
               "watermark_ms": wm}
        if "__ws_us" in row:
            out["window_start"] = us_to_ms(row.pop("__ws_us"))
            out["window_end"] = us_to_ms(row.pop("__we_us"))
        out.update(row)
        return out

    def row_sort_key(self, row):
        if is_windowless_passthrough(self.case):
            return (sort_key_value(row.get("seq")),)
        k = [sort_key_value(row.get("__ws_us")), sort_key_value(row.get("__we_us"))]
        k += [sort_key_value(row.get(g)) for g in self.case.get("group_by", [])]
        return tuple(k)

    def progress_out(self, call):
        p = self.progress.get((call["run"], call["batch"]))
        if p is None:
            self.problems.append("no progress for batch %d (run %d)" % (call["batch"], call["run"]))
            p = {}
        et = p.get("eventTime") or {}
        ops = []
        for o in p.get("stateOperators") or []:
            ops.append({"numRowsTotal": o.get("numRowsTotal"), "numRowsUpdated": o.get("numRowsUpdated"),
                        "numRowsRemoved": o.get("numRowsRemoved"),
                        "numRowsDroppedByWatermark": o.get("numRowsDroppedByWatermark")})
        prog = {"tick": call["tick"], "kind": call["kind"], "numInputRows": p.get("numInputRows"),
                "watermark_ms": iso_to_ms(et.get("watermark")),
                "eventTime_min_ms": iso_to_ms(et.get("min")), "eventTime_max_ms": iso_to_ms(et.get("max")),
                "numOutputRows": len(call["rows"]), "stateOperators": ops}
        return prog

    def output_lines(self):
        lines = []
        ev_i = 0
        evs = sorted(self.events, key=lambda e: e[0])
        for ci, call in enumerate(self.calls):
            while ev_i < len(evs) and evs[ev_i][0] <= ci:
                lines.append(dumps(evs[ev_i][1]))
                ev_i += 1
            prog = self.progress_out(call)
            for row in sorted(call["rows"], key=self.row_sort_key):
                lines.append(dumps(self.row_out(call, prog["watermark_ms"], dict(row))))
            lines.append(dumps({"engine": ENGINE, "batch": call["batch"], "progress": prog}))
        while ev_i < len(evs):
            lines.append(dumps(evs[ev_i][1]))
            ev_i += 1
        return lines

    def check(self):
        """Every data batch read exactly one tick's file(s), and every written file was read."""
        if self.regime in ("tick", "eager", "available_now"):
            missing = set(self.written) - self.processed_ticks
            if missing and not any(e[1].get("event") == "failed" for e in self.events):
                self.problems.append("unprocessed ticks %s" % sorted(missing))

    # -- main ---------------------------------------------------------------------------------
    def run(self):
        self.work = tempfile.mkdtemp(prefix="spark_record_")
        try:
            self.in_dirs = [os.path.join(self.work, "in%d" % i) for i in range(self.n_inputs)]
            for d in self.in_dirs + [os.path.join(self.work, "stage")]:
                os.makedirs(d)
            self.ckpt = os.path.join(self.work, "ckpt")
            self.written, self.processed_ticks, self.seen_batches = [], set(), set()
            self.calls, self.events, self.progress, self.problems = [], [], {}, []
            self.run_no, self.last_label, self.driver_tick = 0, None, None
            for a in self.actions:
                a.pop("_done", None)
            confs = self.case.get("spark_conf") or {}
            for k, v in confs.items():
                self.spark.conf.set(k, str(v))
            try:
                if self.regime in ("tick", "eager"):
                    self.run_streaming()
                elif self.regime == "once":
                    self.run_once()
                elif self.regime == "available_now":
                    self.run_once(available_now=True)
                else:
                    raise ValueError(self.regime)
            finally:
                for k in confs:
                    self.spark.conf.unset(k)
            self.check()
            return self.output_lines()
        finally:
            shutil.rmtree(self.work, ignore_errors=True)


def make_spark():
    spark = (SparkSession.builder.master("local[1]").appName("spark_record")
             .config("spark.sql.shuffle.partitions", "1")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.adaptive.enabled", "false")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", "1g")
             .config("spark.sql.streaming.noDataProgressEventInterval", "1000000")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def main(argv):
    dirs = argv[1:] or sorted(
        os.path.join(FIXTURES, d) for d in os.listdir(FIXTURES)
        if os.path.exists(os.path.join(FIXTURES, d, "case.json")))
    t0 = time.time()
    spark = make_spark()
    print("spark %s ready in %.1fs" % (spark.version, time.time() - t0), flush=True)
    failed = []
    for d in dirs:
        t1 = time.time()
        lines, problems = None, None
        for attempt in range(3):
            run = CaseRun(spark, d)
            lines = run.run()
            problems = run.problems
            if not problems:
                break
            print("  %s attempt %d problems: %s" % (d, attempt, problems), flush=True)
        with open(os.path.join(d, "spark_output.jsonl"), "w") as f:
            f.write("\n".join(lines) + "\n")
        if problems:
            failed.append(d)
        print("%-40s %4d lines %5.1fs%s" % (os.path.basename(d.rstrip("/")), len(lines), time.time() - t1,
                                           "  PROBLEMS" if problems else ""), flush=True)
    spark.stop()
    print("total %.1fs" % (time.time() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
