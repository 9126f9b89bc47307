// Conformance recorder job for real Apache Flink 1.20.3 (see README.md in this folder).
//
// Usage: java ... FlinkConformanceJob <case_dir> <output_file>
//
// Reads <case_dir>/case.json and <case_dir>/tape.jsonl, runs the case on a local MiniCluster
// (parallelism 1) and writes the observed emissions, in emission order, to <output_file>
// (JSON lines, emit_seq 0,1,2,...). Everything that decides window membership, firing time,
// lateness, watermark combination and idleness is real Flink code; this file only feeds the tape,
// generates per-record watermarks, logs what reaches the window operator and computes the
// aggregates of a fired pane.

import org.apache.flink.api.common.eventtime.TimestampAssigner;
import org.apache.flink.api.common.eventtime.TimestampAssignerSupplier;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.eventtime.WatermarksWithIdleness;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.SplitsAssignment;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.datastream.WindowedStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.ChainingStrategy;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.source.SourceOutputWithWatermarks;
import org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.WindowAssigner;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.apache.flink.util.clock.RelativeClock;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

public class FlinkConformanceJob {

    static final ObjectMapper MAPPER = new ObjectMapper();

    // ------------------------------------------------------------------ record type

    /** One tape record (POJO: public fields, no-arg constructor). */
    public static class Rec {
        public long seq;
        public long arrivalMs;
        public int partition;
        public String key;
        public String value;
        public String symbol;
        public long eventTime;
        public Double price;
        public Double qty;

        public Rec() {}
    }

    // ------------------------------------------------------------------ shared log
    // The job runs on an in-process MiniCluster, in one chained task (checked), so the static
    // state below is written by a single task thread in exact processing order.

    static final class Log {
        static List<Rec> tape = new ArrayList<>();
        static Map<Long, String> rawLines = new HashMap<>();
        static int numSplits = 1;
        static boolean multiSplit = false;
        static boolean withIdleness = false;

        static final List<String> lines = new ArrayList<>(); // JSON bodies, without emit_seq
        static Long currentSeq = null; // seq of the last record handed to the source output
        static long nowMs = 0; // virtual processing time (tape arrival_ms / probe time)
        static Long probeMs = null; // set while a virtual periodic probe runs
        static Long currentWm = null; // last watermark that reached the window operator

        // watermark step: all firings logged while a watermark is being processed
        static boolean inStep = false;
        static long stepWm = Long.MIN_VALUE;
        static final List<Object[]> stepFirings = new ArrayList<>(); // {end, symbol, start, body}

        static long[] splitWm;
        static boolean[] splitHasWm;
        static boolean[] splitIdle;

        static final Map<String, Integer> panes = new HashMap<>();
        static final List<Counter> dropCounters = new ArrayList<>();
        static long droppedSeen = 0;

        // SQL job: watermarks seen after the window aggregation, and the rows before each one
        static final List<Long> sqlWatermarks = new ArrayList<>();
        static final List<List<Object[]>> sqlBlocks = new ArrayList<>();
        static String sqlQuery = null;

        static synchronized void add(String body) {
            lines.add(body);
        }

        static String seqJson(Long s) {
            return s == null ? "null" : Long.toString(s);
        }

        static String wmJson(Long w) {
            if (w == null) return "null";
            if (w == Long.MAX_VALUE) return "\"MAX\"";
            return Long.toString(w);
        }

        static String inputWms() {
            StringBuilder sb = new StringBuilder();
            sb.append(",\"input_watermarks\":[");
            for (int i = 0; i < numSplits; i++) {
                if (i > 0) sb.append(',');
                sb.append(splitHasWm[i] ? Long.toString(splitWm[i]) : "null");
            }
            sb.append(']');
            if (withIdleness) {
                sb.append(",\"input_idle\":[");
                for (int i = 0; i < numSplits; i++) {
                    if (i > 0) sb.append(',');
                    sb.append(splitIdle[i]);
                }
                sb.append(']');
            }
            return sb.toString();
        }

        static long droppedTotal() {
            long n = 0;
            for (Counter c : dropCounters) n += c.getCount();
            return n;
        }

        /** Called right after a record has gone through the whole chain (before its watermark). */
        static void checkDropped() {
            if (dropCounters.isEmpty()) return;
            long n = droppedTotal();
            while (droppedSeen < n) {
                droppedSeen++;
                add("\"after_seq\":" + seqJson(currentSeq) + ",\"watermark_ms\":" + wmJson(currentWm)
                        + ",\"dropped\":" + rawLines.get(currentSeq) + "}");
            }
        }
    }

    // ------------------------------------------------------------------ metric capture

    public static class CapFactory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new CapReporter();
        }
    }

    public static class CapReporter implements MetricReporter {
        @Override
        public void open(MetricConfig config) {}

        @Override
        public void close() {}

        @Override
        public void notifyOfAddedMetric(Metric metric, String metricName, MetricGroup group) {
            if ("numLateRecordsDropped".equals(metricName) && metric instanceof Counter) {
                synchronized (Log.class) {
                    Log.dropCounters.add((Counter) metric);
                }
            }
        }

        @Override
        public void notifyOfRemovedMetric(Metric metric, String metricName, MetricGroup group) {}
    }

    // ------------------------------------------------------------------ watermarks

    /** Punctuated bounded-out-of-orderness: after every record emit maxTs - delay - 1. */
    static final class PunctuatedBounded implements WatermarkGenerator<Rec> {
        private final long delay;
        private long maxTs;

        PunctuatedBounded(long delay) {
            this.delay = delay;
            this.maxTs = Long.MIN_VALUE + delay + 1;
        }

        @Override
        public void onEvent(Rec event, long ts, WatermarkOutput out) {
            maxTs = Math.max(maxTs, ts);
            out.emitWatermark(new Watermark(maxTs - delay - 1));
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput out) {}
    }

    /** Idleness clock = the harness's virtual processing time (ms -> ns). */
    static final class VirtualClock implements RelativeClock {
        @Override
        public long relativeTimeNanos() {
            return Log.nowMs * 1_000_000L;
        }

        @Override
        public long relativeTimeMillis() {
            return Log.nowMs;
        }
    }

    /** Wraps the real generator to learn per-split watermarks and idleness calls. */
    static final class LoggingGen implements WatermarkGenerator<Rec> {
        final WatermarkGenerator<Rec> inner;
        int split = -1; // -1 = the reader's main (non-split) output

        LoggingGen(WatermarkGenerator<Rec> inner) {
            this.inner = inner;
        }

        WatermarkOutput wrap(WatermarkOutput out) {
            final int s = split;
            return new WatermarkOutput() {
                @Override
                public void emitWatermark(Watermark w) {
                    if (s >= 0) {
                        if (!Log.splitHasWm[s] || w.getTimestamp() > Log.splitWm[s]) {
                            Log.splitWm[s] = w.getTimestamp();
                            Log.splitHasWm[s] = true;
                        }
                    }
                    out.emitWatermark(w);
                }

                @Override
                public void markIdle() {
                    if (s >= 0) {
                        Log.splitIdle[s] = true;
                        Log.add("\"after_seq\":" + Log.seqJson(Log.currentSeq) + ",\"split\":" + s
                                + ",\"status\":\"IDLE\",\"probe_ms\":" + Log.probeMs + "}");
                    }
                    out.markIdle();
                }

                @Override
                public void markActive() {
                    if (s >= 0 && Log.splitIdle[s]) {
                        Log.splitIdle[s] = false;
                        Log.add("\"after_seq\":" + Log.seqJson(Log.currentSeq) + ",\"split\":" + s
                                + ",\"status\":\"ACTIVE\"}");
                    }
                    out.markActive();
                }
            };
        }

        @Override
        public void onEvent(Rec event, long ts, WatermarkOutput out) {
            // The record has already passed the whole chain (SourceOutputWithWatermarks emits the
            // record before calling the generator): note a drop it caused, if any.
            Log.checkDropped();
            if (split >= 0 && Log.splitIdle[split]) {
                // WatermarksWithIdleness.onEvent clears isIdleNow; the split's PartialWatermark
                // idle flag is cleared by the watermark the inner generator emits right below.
                Log.splitIdle[split] = false;
                Log.add("\"after_seq\":" + Log.seqJson(Log.currentSeq) + ",\"split\":" + split
                        + ",\"status\":\"ACTIVE\"}");
            }
            inner.onEvent(event, ts, wrap(out));
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput out) {
            inner.onPeriodicEmit(wrap(out));
        }
    }

    static final class Strategy implements WatermarkStrategy<Rec> {
        final long delay;
        final Long idleMs;

        Strategy(long delay, Long idleMs) {
            this.delay = delay;
            this.idleMs = idleMs;
        }

        @Override
        public WatermarkGenerator<Rec> createWatermarkGenerator(WatermarkGeneratorSupplier.Context ctx) {
            WatermarkGenerator<Rec> g = new PunctuatedBounded(delay);
            if (idleMs != null) {
                // Real WatermarksWithIdleness, with the harness's virtual clock.
                g = new WatermarksWithIdleness<>(g, Duration.ofMillis(idleMs), new VirtualClock());
            }
            return new LoggingGen(g);
        }

        @Override
        public TimestampAssigner<Rec> createTimestampAssigner(TimestampAssignerSupplier.Context ctx) {
            return (r, ts) -> r.eventTime;
        }
    }

    // ------------------------------------------------------------------ FLIP-27 tape source

    public static class TapeSplit implements SourceSplit {
        final int id;

        TapeSplit(int id) {
            this.id = id;
        }

        @Override
        public String splitId() {
            return Integer.toString(id);
        }
    }

    static final class SplitSer implements SimpleVersionedSerializer<TapeSplit> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(TapeSplit s) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            new DataOutputStream(b).writeInt(s.id);
            return b.toByteArray();
        }

        @Override
        public TapeSplit deserialize(int v, byte[] bytes) throws IOException {
            return new TapeSplit(new DataInputStream(new ByteArrayInputStream(bytes)).readInt());
        }
    }

    static final class IntSer implements SimpleVersionedSerializer<Integer> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(Integer s) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            new DataOutputStream(b).writeInt(s);
            return b.toByteArray();
        }

        @Override
        public Integer deserialize(int v, byte[] bytes) throws IOException {
            return new DataInputStream(new ByteArrayInputStream(bytes)).readInt();
        }
    }

    static final class TapeEnumerator implements SplitEnumerator<TapeSplit, Integer> {
        final SplitEnumeratorContext<TapeSplit> ctx;
        final int n;

        TapeEnumerator(SplitEnumeratorContext<TapeSplit> ctx, int n) {
            this.ctx = ctx;
            this.n = n;
        }

        @Override
        public void start() {}

        @Override
        public void handleSplitRequest(int subtaskId, String host) {}

        @Override
        public void addSplitsBack(List<TapeSplit> splits, int subtaskId) {}

        @Override
        public void addReader(int subtaskId) {
            List<TapeSplit> splits = new ArrayList<>();
            for (int i = 0; i < n; i++) splits.add(new TapeSplit(i));
            ctx.assignSplits(new SplitsAssignment<>(Collections.singletonMap(subtaskId, splits)));
            ctx.signalNoMoreSplits(subtaskId);
        }

        @Override
        public Integer snapshotState(long checkpointId) {
            return n;
        }

        @Override
        public void close() {}
    }

    /**
     * Replays the tape in (arrival_ms, seq) order, each record through the per-split output of
     * its partition (as KafkaSourceReader does). With idleness configured, it runs the periodic
     * watermark tick of ProgressiveTimestampsAndWatermarks (split outputs, then main output) at
     * virtual times k * probe_interval (k >= 1), each probe before the first record with
     * arrival_ms >= probe time.
     */
    static final class TapeReader implements SourceReader<Rec, TapeSplit> {
        final int numSplits;
        final Long probeIntervalMs;
        final List<TapeSplit> splits = new ArrayList<>();
        CompletableFuture<Void> available = new CompletableFuture<>();
        SourceOutput<Rec>[] outs;
        Object splitLocalOutputs;
        Method splitPeriodic;
        int idx = 0;
        long nextProbe;

        TapeReader(int numSplits, Long probeIntervalMs) {
            this.numSplits = numSplits;
            this.probeIntervalMs = probeIntervalMs;
            this.nextProbe = probeIntervalMs == null ? Long.MAX_VALUE : probeIntervalMs;
        }

        @Override
        public void start() {}

        @SuppressWarnings("unchecked")
        private void setup(ReaderOutput<Rec> out) throws Exception {
            outs = new SourceOutput[numSplits];
            Field genField = SourceOutputWithWatermarks.class.getDeclaredField("watermarkGenerator");
            genField.setAccessible(true);
            for (int i = 0; i < numSplits; i++) {
                outs[i] = out.createOutputForSplit(Integer.toString(i)); // already created by SourceOperator
                Object g = genField.get(outs[i]);
                if (g instanceof LoggingGen) ((LoggingGen) g).split = i;
            }
            Field f = out.getClass().getDeclaredField("splitLocalOutputs");
            f.setAccessible(true);
            splitLocalOutputs = f.get(out);
            Field lo = splitLocalOutputs.getClass().getDeclaredField("localOutputs");
            lo.setAccessible(true);
            int n = ((Map<?, ?>) lo.get(splitLocalOutputs)).size();
            if (n != numSplits) throw new IllegalStateException("expected " + numSplits + " split outputs, got " + n);
            splitPeriodic = splitLocalOutputs.getClass().getDeclaredMethod("emitPeriodicWatermark");
            splitPeriodic.setAccessible(true);
        }

        @Override
        public InputStatus pollNext(ReaderOutput<Rec> out) throws Exception {
            if (splits.size() < numSplits) return InputStatus.NOTHING_AVAILABLE;
            if (outs == null) setup(out);
            if (idx >= Log.tape.size()) return InputStatus.END_OF_INPUT;
            Rec r = Log.tape.get(idx);
            while (nextProbe <= r.arrivalMs) {
                Log.nowMs = nextProbe;
                Log.probeMs = nextProbe;
                // == ProgressiveTimestampsAndWatermarks.emitImmediateWatermark
                splitPeriodic.invoke(splitLocalOutputs);
                ((SourceOutputWithWatermarks<Rec>) out).emitPeriodicWatermark();
                Log.probeMs = null;
                nextProbe += probeIntervalMs;
            }
            Log.nowMs = r.arrivalMs;
            Log.currentSeq = r.seq;
            outs[r.partition].collect(r, r.eventTime);
            idx++;
            return idx < Log.tape.size() ? InputStatus.MORE_AVAILABLE : InputStatus.END_OF_INPUT;
        }

        @Override
        public List<TapeSplit> snapshotState(long checkpointId) {
            return new ArrayList<>(splits);
        }

        @Override
        public CompletableFuture<Void> isAvailable() {
            return available;
        }

        @Override
        public void addSplits(List<TapeSplit> s) {
            splits.addAll(s);
            if (splits.size() >= numSplits) available.complete(null);
        }

        @Override
        public void notifyNoMoreSplits() {}

        @Override
        public void close() {}
    }

    public static class TapeSource implements Source<Rec, TapeSplit, Integer> {
        final int numSplits;
        final Long probeIntervalMs;

        TapeSource(int numSplits, Long probeIntervalMs) {
            this.numSplits = numSplits;
            this.probeIntervalMs = probeIntervalMs;
        }

        @Override
        public Boundedness getBoundedness() {
            return Boundedness.BOUNDED;
        }

        @Override
        public SourceReader<Rec, TapeSplit> createReader(SourceReaderContext ctx) {
            return new TapeReader(numSplits, probeIntervalMs);
        }

        @Override
        public SplitEnumerator<TapeSplit, Integer> createEnumerator(SplitEnumeratorContext<TapeSplit> ctx) {
            return new TapeEnumerator(ctx, numSplits);
        }

        @Override
        public SplitEnumerator<TapeSplit, Integer> restoreEnumerator(SplitEnumeratorContext<TapeSplit> ctx, Integer st) {
            return new TapeEnumerator(ctx, numSplits);
        }

        @Override
        public SimpleVersionedSerializer<TapeSplit> getSplitSerializer() {
            return new SplitSer();
        }

        @Override
        public SimpleVersionedSerializer<Integer> getEnumeratorCheckpointSerializer() {
            return new IntSer();
        }
    }

    // ------------------------------------------------------------------ DataStream operators

    /** Pass-through placed right before the window operator; logs every watermark reaching it. */
    public static class WatermarkLogger extends AbstractStreamOperator<Rec> implements OneInputStreamOperator<Rec, Rec> {
        public WatermarkLogger() {
            setChainingStrategy(ChainingStrategy.ALWAYS);
        }

        @Override
        public void processElement(StreamRecord<Rec> element) {
            output.collect(element);
        }

        @Override
        public void processWatermark(org.apache.flink.streaming.api.watermark.Watermark mark) throws Exception {
            long ts = mark.getTimestamp();
            Log.currentWm = ts;
            StringBuilder b = new StringBuilder();
            if (ts == Long.MAX_VALUE) {
                b.append("\"watermark_ms\":\"MAX\",\"end_of_input\":true,\"after_seq\":null");
            } else {
                b.append("\"watermark_ms\":").append(ts).append(",\"after_seq\":").append(Log.seqJson(Log.currentSeq));
                if (Log.probeMs != null) b.append(",\"probe_ms\":").append(Log.probeMs);
            }
            if (Log.multiSplit) b.append(Log.inputWms());
            b.append('}');
            Log.add(b.toString());
            Log.inStep = true;
            Log.stepWm = ts;
            super.processWatermark(mark); // forwards to the (chained) window operator, which fires
            Log.inStep = false;
            // Equal-timestamp timers of different keys: sort by (window_end, symbol, window_start).
            List<Object[]> real = new ArrayList<>(Log.stepFirings);
            Log.stepFirings.sort(Comparator.comparingLong((Object[] o) -> (Long) o[0])
                    .thenComparing(o -> (String) o[1]).thenComparingLong(o -> (Long) o[2]));
            for (int i = 0; i < real.size(); i++) {
                if (real.get(i) != Log.stepFirings.get(i)) {
                    System.err.println("CONFORMANCE-NOTE: real firing order at watermark " + ts
                            + " differed from (end, symbol) order; real order: "
                            + real.stream().map(o -> o[0] + "/" + o[1]).reduce((x, y) -> x + ", " + y).orElse(""));
                    break;
                }
            }
            for (Object[] o : Log.stepFirings) Log.add((String) o[3]);
            Log.stepFirings.clear();
        }

        @Override
        public void processWatermarkStatus(WatermarkStatus status) throws Exception {
            Log.add("\"after_seq\":" + Log.seqJson(Log.currentSeq) + ",\"watermark_status\":\""
                    + (status.isIdle() ? "IDLE" : "ACTIVE") + "\"}");
            super.processWatermarkStatus(status);
        }
    }

    public static class SymbolKey implements KeySelector<Rec, String> {
        @Override
        public String getKey(Rec r) {
            return r.symbol;
        }
    }

    /** Aggregate spec: fn, column, as. */
    public static class Agg implements java.io.Serializable {
        public String fn, column, as;

        Agg(String fn, String column, String as) {
            this.fn = fn;
            this.column = column;
            this.as = as;
        }
    }

    static Double col(Rec r, String c) {
        switch (c) {
            case "price":
                return r.price;
            case "qty":
                return r.qty;
            default:
                throw new IllegalArgumentException("unknown column " + c);
        }
    }

    /** Aggregates over the pane's elements in pane (insertion) order; doubles via Double.toString. */
    static String aggJson(List<Agg> aggs, List<Rec> els) {
        StringBuilder b = new StringBuilder();
        for (Agg a : aggs) {
            b.append(",\"").append(a.as).append("\":");
            if (a.fn.equals("count")) {
                long n = 0;
                for (Rec r : els) if (a.column.equals("*") || col(r, a.column) != null) n++;
                b.append(n);
                continue;
            }
            Double acc = null;
            long n = 0;
            for (Rec r : els) {
                Double v = col(r, a.column);
                if (v == null) continue;
                n++;
                switch (a.fn) {
                    case "first":
                        if (acc == null) acc = v;
                        break;
                    case "last":
                        acc = v;
                        break;
                    case "max":
                        acc = acc == null ? v : Math.max(acc, v);
                        break;
                    case "min":
                        acc = acc == null ? v : Math.min(acc, v);
                        break;
                    case "sum":
                    case "avg":
                        acc = acc == null ? v : acc + v;
                        break;
                    default:
                        throw new IllegalArgumentException("unknown fn " + a.fn);
                }
            }
            if (acc != null && a.fn.equals("avg")) acc = acc / n;
            b.append(acc == null ? "null" : Double.toString(acc));
        }
        return b.toString();
    }

    public static class PaneFunction extends ProcessWindowFunction<Rec, String, String, TimeWindow> {
        final ArrayList<Agg> aggs;

        PaneFunction(ArrayList<Agg> aggs) {
            this.aggs = aggs;
        }

        @Override
        public void process(String key, Context ctx, Iterable<Rec> elements, Collector<String> out) {
            TimeWindow w = ctx.window();
            List<Rec> els = new ArrayList<>();
            for (Rec r : elements) els.add(r);
            String cause;
            Long after = Log.currentSeq;
            if (Log.inStep) {
                if (Log.stepWm == Long.MAX_VALUE) {
                    cause = "end_of_input";
                    after = null;
                } else cause = "watermark";
            } else cause = "element";
            int pane = Log.panes.merge(key + "|" + w.getStart() + "|" + w.getEnd(), 1, Integer::sum) - 1;
            StringBuilder b = new StringBuilder();
            b.append("\"after_seq\":").append(Log.seqJson(after));
            b.append(",\"cause\":\"").append(cause).append('"');
            b.append(",\"watermark_ms\":").append(Log.wmJson(ctx.currentWatermark()));
            b.append(",\"pane\":").append(pane);
            b.append(",\"window_start\":").append(w.getStart());
            b.append(",\"window_end\":").append(w.getEnd());
            b.append(",\"symbol\":").append(jsonStr(key));
            b.append(aggJson(aggs, els));
            b.append(",\"seqs\":[");
            for (int i = 0; i < els.size(); i++) {
                if (i > 0) b.append(',');
                b.append(els.get(i).seq);
            }
            b.append("]}");
            if (Log.inStep) Log.stepFirings.add(new Object[] {w.getEnd(), key, w.getStart(), b.toString()});
            else Log.add(b.toString());
            out.collect(key);
        }
    }

    public static class LateLogger extends ProcessFunction<Rec, String> {
        @Override
        public void processElement(Rec r, Context ctx, Collector<String> out) {
            Log.add("\"after_seq\":" + Log.seqJson(Log.currentSeq) + ",\"watermark_ms\":" + Log.wmJson(Log.currentWm)
                    + ",\"late\":" + Log.rawLines.get(r.seq) + "}");
        }
    }

    // ------------------------------------------------------------------ SQL post-aggregation logger

    /** After the SQL window aggregation: logs result rows and the watermarks forwarded after them. */
    public static class SqlLogger extends AbstractStreamOperator<String> implements OneInputStreamOperator<Row, String> {
        final ArrayList<String> fields;

        SqlLogger(ArrayList<String> fields) {
            this.fields = fields;
            setChainingStrategy(ChainingStrategy.ALWAYS);
        }

        @Override
        public void processElement(StreamRecord<Row> element) {
            Row row = element.getValue();
            StringBuilder b = new StringBuilder();
            boolean first = true;
            for (String f : fields) {
                if (!first) b.append(',');
                first = false;
                b.append(jsonStr(f)).append(':').append(valueJson(row.getField(f)));
            }
            b.append('}');
            synchronized (Log.class) {
                Log.stepFirings.add(new Object[] {row.getField("window_end"), row.getField("symbol"), b.toString()});
            }
        }

        @Override
        public void processWatermark(org.apache.flink.streaming.api.watermark.Watermark mark) throws Exception {
            synchronized (Log.class) {
                Log.sqlWatermarks.add(mark.getTimestamp());
                Log.sqlBlocks.add(new ArrayList<>(Log.stepFirings));
                Log.stepFirings.clear();
            }
            super.processWatermark(mark);
        }
    }

    static String jsonStr(String s) {
        try {
            return MAPPER.writeValueAsString(s);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    static String valueJson(Object v) {
        if (v == null) return "null";
        if (v instanceof String) return jsonStr((String) v);
        if (v instanceof Double) {
            double d = (Double) v;
            if (Double.isNaN(d) || Double.isInfinite(d)) return jsonStr(Double.toString(d));
            return Double.toString(d);
        }
        if (v instanceof LocalDateTime) return Long.toString(((LocalDateTime) v).toInstant(ZoneOffset.UTC).toEpochMilli());
        if (v instanceof Instant) return Long.toString(((Instant) v).toEpochMilli());
        return v.toString();
    }

    // ------------------------------------------------------------------ main

    static Configuration baseConf(boolean metrics) {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.AUTO_WATERMARK_INTERVAL, Duration.ZERO);
        conf.setString("execution.runtime-mode", "STREAMING");
        conf.setString("restart-strategy.type", "none");
        conf.setString("parallelism.default", "1");
        if (metrics) conf.setString("metrics.reporter.cap.factory.class", CapFactory.class.getName());
        return conf;
    }

    public static void main(String[] args) throws Exception {
        Path caseDir = Paths.get(args[0]);
        Path outFile = Paths.get(args[1]);
        JsonNode cs = MAPPER.readTree(Files.readAllBytes(caseDir.resolve("case.json")));
        for (String line : Files.readAllLines(caseDir.resolve("tape.jsonl"), StandardCharsets.UTF_8)) {
            if (line.trim().isEmpty()) continue;
            JsonNode n = MAPPER.readTree(line);
            Rec r = new Rec();
            r.seq = n.get("seq").asLong();
            r.arrivalMs = n.get("arrival_ms").asLong();
            r.partition = n.get("partition").asInt();
            r.key = n.get("key").isNull() ? null : n.get("key").asText();
            r.value = n.get("value").asText();
            Log.rawLines.put(r.seq, line.trim());
            Log.tape.add(r);
        }
        // (arrival_ms, seq) order
        Log.tape.sort(Comparator.comparingLong((Rec r) -> r.arrivalMs).thenComparingLong(r -> r.seq));

        String api = cs.path("api").asText("datastream");
        String job = cs.path("job").asText("window");
        List<String> extra = new ArrayList<>();
        if (api.equals("sql") && job.equals("raw_filter")) runRawFilter(cs, caseDir, extra);
        else if (api.equals("sql")) runSqlWindow(cs, extra);
        else runDataStream(cs, extra);

        StringBuilder sb = new StringBuilder();
        int i = 0;
        for (String body : Log.lines) {
            sb.append("{\"emit_seq\":").append(i++).append(',').append(body).append('\n');
        }
        for (String e : extra) sb.append(e).append('\n');
        Files.write(outFile, sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    static void parseValues() throws IOException {
        for (Rec r : Log.tape) {
            JsonNode v = MAPPER.readTree(r.value);
            r.symbol = v.path("symbol").asText(null);
            r.eventTime = v.get("event_time").asLong();
            r.price = v.hasNonNull("price") ? v.get("price").asDouble() : null;
            r.qty = v.hasNonNull("qty") ? v.get("qty").asDouble() : null;
            if (r.partition < 0 || r.partition >= Log.numSplits) throw new IllegalArgumentException("bad partition " + r.partition);
        }
    }

    static ArrayList<Agg> aggs(JsonNode cs) {
        ArrayList<Agg> aggs = new ArrayList<>();
        for (JsonNode a : cs.get("aggregates")) aggs.add(new Agg(a.get("fn").asText(), a.get("column").asText(), a.get("as").asText()));
        return aggs;
    }

    static String failureLine(Throwable t) {
        // Chain of causes below the JobExecutionException wrapper.
        List<String> chain = new ArrayList<>();
        Throwable c = t;
        boolean below = false;
        while (c != null) {
            if (below) chain.add(c.getClass().getName() + ": " + c.getMessage());
            if (c.getClass().getName().endsWith("JobExecutionException")) below = true;
            c = c.getCause();
        }
        if (chain.isEmpty()) chain.add(t.getClass().getName() + ": " + t.getMessage());
        StringBuilder b = new StringBuilder("{\"job_failed\":true,\"errors\":[");
        for (int i = 0; i < chain.size(); i++) {
            if (i > 0) b.append(',');
            b.append(jsonStr(chain.get(i)));
        }
        return b.append("]}").toString();
    }

    static void runDataStream(JsonNode cs, List<String> extra) throws Exception {
        Log.numSplits = cs.path("splits").asInt(1);
        Log.multiSplit = Log.numSplits > 1;
        Log.splitWm = new long[Log.numSplits];
        Log.splitHasWm = new boolean[Log.numSplits];
        Log.splitIdle = new boolean[Log.numSplits];
        parseValues();

        JsonNode wmc = cs.get("watermark");
        String strat = wmc.get("strategy").asText();
        long delay;
        if (strat.equals("bounded_out_of_orderness")) delay = wmc.get("delay_ms").asLong();
        else if (strat.equals("monotonous")) delay = 0; // AscendingTimestampsWatermarks = B 0: maxTs - 1
        else throw new IllegalArgumentException("strategy " + strat);
        if (!wmc.path("emission").asText("per_record").equals("per_record")) throw new IllegalArgumentException("emission");
        Long idle = cs.hasNonNull("idleness_ms") ? cs.get("idleness_ms").asLong() : null;
        Long probe = idle == null ? null : cs.path("idleness_probe_interval_ms").asLong(200);
        Log.withIdleness = idle != null;

        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, baseConf(true));
        env.setParallelism(1);

        DataStream<Rec> src = env.fromSource(new TapeSource(Log.numSplits, probe), new Strategy(delay, idle), "tape",
                TypeInformation.of(Rec.class));
        DataStream<Rec> logged = src.transform("watermark-logger", TypeInformation.of(Rec.class), new WatermarkLogger());
        KeyedStream<Rec, String> keyed = DataStreamUtils.reinterpretAsKeyedStream(logged, new SymbolKey(), Types.STRING);

        JsonNode w = cs.get("window");
        String type = w.get("type").asText();
        long offset = w.path("offset_ms").asLong(0);
        WindowAssigner<Object, TimeWindow> assigner;
        switch (type) {
            case "tumbling":
                assigner = TumblingEventTimeWindows.of(Duration.ofMillis(w.get("size_ms").asLong()), Duration.ofMillis(offset));
                break;
            case "sliding":
                assigner = SlidingEventTimeWindows.of(Duration.ofMillis(w.get("size_ms").asLong()),
                        Duration.ofMillis(w.get("slide_ms").asLong()), Duration.ofMillis(offset));
                break;
            case "session":
                assigner = EventTimeSessionWindows.withGap(Duration.ofMillis(w.get("gap_ms").asLong()));
                break;
            default:
                throw new IllegalArgumentException("window " + type);
        }
        WindowedStream<Rec, String, TimeWindow> ws = keyed.window(assigner)
                .allowedLateness(Duration.ofMillis(cs.path("allowed_lateness_ms").asLong(0)));
        OutputTag<Rec> lateTag = new OutputTag<Rec>("late") {};
        boolean side = cs.path("side_output").asBoolean(false);
        if (side) ws = ws.sideOutputLateData(lateTag);
        SingleOutputStreamOperator<String> res = ws.process(new PaneFunction(aggs(cs)), Types.STRING);
        res.sinkTo(new DiscardingSink<>());
        if (side) res.getSideOutput(lateTag).process(new LateLogger(), Types.STRING).sinkTo(new DiscardingSink<>());

        StreamGraph sg = env.getStreamGraph();
        int vertices = sg.getJobGraph().getNumberOfVertices();
        if (vertices != 1) throw new IllegalStateException("expected one chained task, got " + vertices + " vertices");
        env.execute(sg);
        if (Log.dropCounters.isEmpty()) throw new IllegalStateException("numLateRecordsDropped counter not captured");
        extra.add("{\"metric\":\"numLateRecordsDropped\",\"value\":" + Log.droppedTotal() + "}");
    }

    // SQL window TVF -----------------------------------------------------------------

    static void runSqlWindow(JsonNode cs, List<String> extra) throws Exception {
        Log.numSplits = cs.path("splits").asInt(1);
        if (Log.numSplits != 1) throw new IllegalArgumentException("sql cases: 1 split");
        Log.splitWm = new long[1];
        Log.splitHasWm = new boolean[1];
        Log.splitIdle = new boolean[1];
        parseValues();
        JsonNode wmc = cs.get("watermark");
        if (!wmc.get("strategy").asText().equals("sql_interval")) throw new IllegalArgumentException("sql watermark");
        long delay = wmc.get("delay_ms").asLong();
        if (delay % 1000 != 0) throw new IllegalArgumentException("delay must be whole seconds");
        JsonNode w = cs.get("window");
        if (!w.get("type").asText().equals("tumbling")) throw new IllegalArgumentException("sql: tumbling only");
        long size = w.get("size_ms").asLong();
        long offset = w.path("offset_ms").asLong(0);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, baseConf(true));
        env.setParallelism(1);
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
        tEnv.getConfig().set("table.local-time-zone", "UTC");

        DataStream<Rec> src = env.fromSource(new TapeSource(1, null), WatermarkStrategy.noWatermarks(), "tape",
                TypeInformation.of(Rec.class));
        Table t = tEnv.fromDataStream(src, Schema.newBuilder()
                .columnByExpression("rowtime", "TO_TIMESTAMP_LTZ(eventTime, 3)")
                .watermark("rowtime", "rowtime - INTERVAL '" + (delay / 1000) + "' SECOND")
                .build());
        tEnv.createTemporaryView("ticks", t);
        StringBuilder sel = new StringBuilder("SELECT window_start, window_end, symbol");
        ArrayList<String> fields = new ArrayList<>(List.of("window_start", "window_end", "symbol"));
        for (Agg a : aggs(cs)) {
            String f;
            switch (a.fn) {
                case "count":
                    f = a.column.equals("*") ? "COUNT(*)" : "COUNT(" + a.column + ")";
                    break;
                case "first":
                    f = "FIRST_VALUE(" + a.column + ")";
                    break;
                case "last":
                    f = "LAST_VALUE(" + a.column + ")";
                    break;
                case "max":
                case "min":
                case "sum":
                case "avg":
                    f = a.fn.toUpperCase() + "(" + a.column + ")";
                    break;
                default:
                    throw new IllegalArgumentException(a.fn);
            }
            sel.append(", ").append(f).append(" AS `").append(a.as).append('`');
            fields.add(a.as);
        }
        String tumble = "TUMBLE(TABLE ticks, DESCRIPTOR(rowtime), INTERVAL '" + (size / 1000) + "' SECOND"
                + (offset != 0 ? ", INTERVAL '" + (offset / 1000) + "' SECOND" : "") + ")";
        sel.append(" FROM TABLE(").append(tumble).append(") GROUP BY window_start, window_end, symbol");
        Log.sqlQuery = sel.toString();
        Table res = tEnv.sqlQuery(sel.toString());
        DataStream<Row> rows = tEnv.toDataStream(res);
        rows.transform("sql-logger", Types.STRING, new SqlLogger(fields)).sinkTo(new DiscardingSink<>());
        env.execute();
        if (Log.dropCounters.isEmpty()) throw new IllegalStateException("numLateRecordsDropped counter not captured");
        System.err.println("CONFORMANCE-NOTE: numLateRecordsDropped counters captured: " + Log.dropCounters.size());

        // Each SQL watermark w (wm = maxTs - delay, emitted per record when it increases) is
        // attributed to the record that raised it (derived from the tape, not observed: the
        // window aggregation runs in a second task after a hash exchange).
        Map<Long, Long> wmToSeq = new HashMap<>();
        long maxTs = Long.MIN_VALUE;
        long last = 0; // WatermarkAssignerOperator starts at 0: watermarks <= 0 are never emitted
        for (Rec r : Log.tape) {
            maxTs = Math.max(maxTs, r.eventTime);
            long wm = maxTs - delay;
            if (wm > last) {
                wmToSeq.put(wm, r.seq);
                last = wm;
            }
        }
        for (int i = 0; i < Log.sqlWatermarks.size(); i++) {
            long wm = Log.sqlWatermarks.get(i);
            List<Object[]> block = Log.sqlBlocks.get(i);
            block.sort(Comparator.comparing((Object[] o) -> valueJson(o[0]).length()).thenComparing(o -> valueJson(o[0]))
                    .thenComparing(o -> (String) o[1]));
            boolean end = wm == Long.MAX_VALUE;
            Long after = end ? null : wmToSeq.get(wm);
            // Presented like the DataStream cases: the watermark line, then the rows it fired.
            if (end) Log.add("\"watermark_ms\":\"MAX\",\"end_of_input\":true,\"after_seq\":null}");
            else Log.add("\"watermark_ms\":" + wm + ",\"after_seq\":" + Log.seqJson(after) + "}");
            for (Object[] o : block) {
                String body = (String) o[2];
                Log.add("\"after_seq\":" + Log.seqJson(after) + ",\"cause\":\"" + (end ? "end_of_input" : "watermark")
                        + "\",\"watermark_ms\":" + Log.wmJson(wm) + "," + body);
            }
        }
        if (!Log.stepFirings.isEmpty()) throw new IllegalStateException("rows after the last watermark");
        extra.add("{\"metric\":\"numLateRecordsDropped\",\"value\":" + Log.droppedTotal() + "}");
    }

    // Seed raw job: JSON format + WHERE price IS NOT NULL AND price > 0 -----------------------

    static void runRawFilter(JsonNode cs, Path caseDir, List<String> extra) throws Exception {
        Path dir = Files.createTempDirectory("flink-conformance-raw");
        Path data = dir.resolve("data.json");
        StringBuilder sb = new StringBuilder();
        for (Rec r : Log.tape) sb.append(r.value).append('\n');
        Files.write(data, sb.toString().getBytes(StandardCharsets.UTF_8));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, baseConf(false));
        env.setParallelism(1);
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
        tEnv.getConfig().set("table.local-time-zone", "UTC");
        tEnv.executeSql("CREATE TABLE crypto_prices_source (`timestamp` BIGINT, symbol STRING, base STRING, currency STRING,"
                + " price DOUBLE, volume_24h DOUBLE, source STRING, iteration BIGINT, proc_time AS PROCTIME())"
                + " WITH ('connector' = 'filesystem', 'path' = '" + dir.toUri() + "', 'format' = 'json')");
        ArrayList<String> fields = new ArrayList<>(List.of("timestamp", "symbol", "base", "currency", "price",
                "volume_24h", "source", "iteration"));
        Table res = tEnv.sqlQuery("SELECT `timestamp`, symbol, base, currency, price, volume_24h, source, iteration"
                + " FROM crypto_prices_source WHERE price IS NOT NULL AND price > 0");
        DataStream<Row> rows = tEnv.toDataStream(res);
        rows.process(new ProcessFunction<Row, String>() {
            @Override
            public void processElement(Row row, Context ctx, Collector<String> out) {
                StringBuilder b = new StringBuilder();
                boolean first = true;
                for (String f : fields) {
                    if (!first) b.append(',');
                    first = false;
                    b.append(jsonStr(f)).append(':').append(valueJson(row.getField(f)));
                }
                Log.add(b.append('}').toString());
            }
        }, Types.STRING).sinkTo(new DiscardingSink<>());
        try {
            env.execute();
        } catch (Exception e) {
            extra.add(failureLine(e));
        }
    }
}
