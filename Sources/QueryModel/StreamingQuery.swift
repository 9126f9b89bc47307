import SimCore
public import SimLog

/// Where a Kafka source starts on its first run (Spark `startingOffsets`, Flink `scan.startup.mode`).
public enum StartingOffsets: Hashable, Sendable, Codable, CustomStringConvertible {
    case earliest
    case latest
    /// Per topic-partition offsets; `-2` means earliest and `-1` latest, as in Spark's JSON form.
    case specific([TopicPartition: Int64])

    public var description: String {
        switch self {
        case .earliest: return "earliest"
        case .latest: return "latest"
        case .specific(let m): return m.keys.sorted().map { "\($0)=\(m[$0]!)" }.joined(separator: ",")
        }
    }
}

/// The Kafka source of a query (`spark.readStream.format("kafka")` options / a Flink Kafka table).
public struct KafkaSourceSpec: Hashable, Sendable, Codable {
    public var topic: String
    /// Spark's default for streaming queries is `latest`.
    public var startingOffsets: StartingOffsets
    /// Spark's default is `true`.
    public var failOnDataLoss: Bool
    /// `maxOffsetsPerTrigger`: nil = no limit.
    public var maxOffsetsPerTrigger: Int64?

    public init(topic: String, startingOffsets: StartingOffsets = .latest, failOnDataLoss: Bool = true, maxOffsetsPerTrigger: Int64? = nil) {
        self.topic = topic
        self.startingOffsets = startingOffsets
        self.failOnDataLoss = failOnDataLoss
        self.maxOffsetsPerTrigger = maxOffsetsPerTrigger
    }
}

/// How the Kafka value becomes columns.
public enum ValueFormat: Hashable, Sendable, Codable {
    /// Raw Kafka rows: `key binary, value binary, topic string, partition int, offset long, timestamp timestamp,
    /// timestampType int` (`KafkaRecordToRowConverter.kafkaSchema`).
    case raw
    /// `from_json(CAST(value AS STRING), schema)` in PERMISSIVE mode, its fields first, then the Kafka columns
    /// under the names in `KafkaColumns.prefixed` (`kafka_key`, `kafka_timestamp` …) so that a JSON field named
    /// `timestamp` does not clash with Kafka's.
    case json(Schema)
}

/// Spark's output modes (`OutputMode`).
public enum OutputMode: String, Hashable, Sendable, Codable, CaseIterable {
    case append, update, complete
}

/// `withWatermark(column, delay)`.
public struct WatermarkSpec: Hashable, Sendable, Codable {
    public var column: String
    public var delayMs: Int64
    public init(column: String, delayMs: Int64) { self.column = column; self.delayMs = delayMs }
}

/// `groupBy([window(timeColumn, …)], keys…).agg(aggregates…)`.
public struct AggregationSpec: Hashable, Sendable, Codable {
    public var window: WindowSpec?
    /// The timestamp column the window is computed over (usually the watermark column).
    public var timeColumn: String?
    public var groupBy: [String]
    public var aggregates: [AggregateSpec]

    public init(window: WindowSpec? = nil, timeColumn: String? = nil, groupBy: [String], aggregates: [AggregateSpec]) {
        self.window = window
        self.timeColumn = timeColumn
        self.groupBy = groupBy
        self.aggregates = aggregates
    }
}

/// A further input `union`ed with the main source: same decoding and derived columns, its own
/// `withWatermark(column, delay)` (Spark keeps one watermark operator per input, `WatermarkTracker`).
public struct UnionInput: Hashable, Sendable, Codable {
    public var source: KafkaSourceSpec
    /// nil: this input has no watermark operator.
    public var watermarkDelayMs: Int64?
    public init(source: KafkaSourceSpec, watermarkDelayMs: Int64?) {
        self.source = source
        self.watermarkDelayMs = watermarkDelayMs
    }
}

/// A derived column: `withColumn(name, expression)` (replaces a column of the same name in place).
public struct DerivedColumn: Hashable, Sendable, Codable {
    public var name: String
    public var expression: ColumnExpression
    public init(_ name: String, _ expression: ColumnExpression) { self.name = name; self.expression = expression }
}

/// A streaming query both engines execute: source → decode → derived columns → filters → [watermark] →
/// [aggregation] or a projection → sink (the sink and trigger are engine options).
public struct StreamingQuery: Hashable, Sendable, Codable {
    public var name: String
    public var source: KafkaSourceSpec
    public var valueFormat: ValueFormat
    public var derivedColumns: [DerivedColumn]
    /// Applied after all derived columns; a row is kept when every filter is true (null counts as false).
    public var filters: [ColumnExpression]
    public var watermark: WatermarkSpec?
    public var aggregation: AggregationSpec?
    /// For queries without aggregation: the output columns (`select`); nil = every column.
    public var projection: [String]?
    public var outputMode: OutputMode
    /// Further inputs unioned with `source` before the aggregation (distinct topics), nil = none.
    public var unionInputs: [UnionInput]?

    public init(name: String, source: KafkaSourceSpec, valueFormat: ValueFormat, derivedColumns: [DerivedColumn] = [],
                filters: [ColumnExpression] = [], watermark: WatermarkSpec? = nil, aggregation: AggregationSpec? = nil,
                projection: [String]? = nil, outputMode: OutputMode = .append, unionInputs: [UnionInput]? = nil) {
        self.unionInputs = unionInputs
        self.name = name
        self.source = source
        self.valueFormat = valueFormat
        self.derivedColumns = derivedColumns
        self.filters = filters
        self.watermark = watermark
        self.aggregation = aggregation
        self.projection = projection
        self.outputMode = outputMode
    }
}

/// The Kafka columns of a source row.
public enum KafkaColumns {
    public static let names = ["key", "value", "topic", "partition", "offset", "timestamp", "timestampType"]
    public static let types: [DataType] = [.binary, .binary, .string, .int, .long, .timestamp, .int]
    /// The names used next to JSON fields.
    public static let prefixed = names.map { "kafka_" + $0 }

    /// The columns of a source row before derived columns, and where the Kafka columns start: Kafka's columns for
    /// `.raw`; the JSON schema's fields then the `kafka_`-prefixed Kafka columns for `.json`. Both engine models decode
    /// into this layout, so derived columns and filters resolve the same names.
    public static func sourceFields(_ format: ValueFormat) -> (fields: [Field], kafkaBase: Int) {
        switch format {
        case .raw: return (zip(names, types).map { Field($0, $1) }, 0)
        case .json(let s): return (s.fields + zip(prefixed, types).map { Field($0, $1) }, s.count)
        }
    }
}

/// One record as a source hands it to a query: Kafka's record plus where it came from.
public struct SourceRecord: Sendable {
    public var topicPartition: TopicPartition
    public var record: Record
    /// Kafka `timestampType`: 0 = CreateTime, 1 = LogAppendTime.
    public var timestampType: Int32

    public init(_ topicPartition: TopicPartition, _ record: Record, timestampType: Int32 = 0) {
        self.topicPartition = topicPartition
        self.record = record
        self.timestampType = timestampType
    }
}
