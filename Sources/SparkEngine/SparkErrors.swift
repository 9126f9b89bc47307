public import QueryModel

/// Errors a Spark query reports, with Spark 3.5's text where Spark has one.
public enum SparkQueryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An `AnalysisException` from `UnsupportedOperationChecker.checkForStreaming` or `DataSource.createSink`.
    case analysis(String)
    /// A query-model resolution error (unresolved column, type mismatch).
    case resolution(QueryModelError)
    /// `failOnDataLoss=true` and data was lost (`KafkaExceptions`).
    case dataLoss(KafkaDataLoss)
    /// `offsets/N` already existed (`concurrentStreamLogUpdate`).
    case concurrentStreamLogUpdate(batchId: Int64)
    /// The restart found `offsets/L` but not `offsets/L-1` (`populateStartOffsets`).
    case missingPreviousOffsets(batchId: Int64)
    /// A sink failed; `FOREACH_BATCH_USER_FUNCTION_ERROR` for foreachBatch.
    case sink(String)

    /// The JVM exception class Spark 3.5 raises for this error.
    public var exceptionClass: String {
        switch self {
        case .analysis, .resolution: return "org.apache.spark.sql.catalyst.ExtendedAnalysisException"
        case .dataLoss: return "org.apache.spark.SparkException"
        case .concurrentStreamLogUpdate: return "org.apache.spark.SparkException"
        case .missingPreviousOffsets: return "java.lang.IllegalStateException"
        case .sink: return "org.apache.spark.api.python.PythonException"
        }
    }

    public var description: String {
        switch self {
        case .analysis(let m): return m
        case .resolution(let e): return e.description
        case .dataLoss(let d): return d.description
        case .concurrentStreamLogUpdate(let b):
            return "[CONCURRENT_STREAM_LOG_UPDATE] Concurrent update to the log. Multiple streaming jobs detected for \(b). Please make sure only one streaming job runs on a specific checkpoint location at a time."
        case .missingPreviousOffsets(let b): return "batch \(b - 1) doesn't exist"
        case .sink(let m): return m
        }
    }
}

/// The streaming checks of `catalyst/analysis/UnsupportedOperationChecker.scala` (`checkForStreaming`) and the
/// sinks' output-mode support (`DataSource.createSink`, `MemorySink`, `ConsoleSinkProvider`) that apply to the query
/// model's shapes.
public enum UnsupportedOperationChecker {
    public static func check(_ q: StreamingQuery, sinkName: String, sinkModes: Set<OutputMode>) throws(SparkQueryError) {
        if let a = q.aggregation {
            let watermarked = q.watermark != nil && (a.window != nil ? (a.timeColumn ?? q.watermark?.column) == q.watermark?.column : a.groupBy.contains(q.watermark!.column))
            if q.outputMode == .append && !watermarked {
                throw .analysis("Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark;")
            }
            if let w = a.window, w.isSession {
                if q.outputMode == .update {
                    throw .analysis("Update output mode not supported for session window on streaming DataFrames/DataSets;")
                }
                if a.groupBy.isEmpty {
                    throw .analysis("Global aggregation with session window in streaming query is not supported.")
                }
            }
        } else if q.outputMode == .complete {
            throw .analysis("Complete output mode not supported when there are no streaming aggregations on streaming DataFrames/Datasets;")
        }
        if !sinkModes.contains(q.outputMode) {
            // `QueryCompilationErrors.dataSourceOutputModeUnsupportedError`.
            throw .analysis("Data source \(sinkName) does not support \(q.outputMode.rawValue.prefix(1).uppercased() + q.outputMode.rawValue.dropFirst()) output mode.")
        }
    }
}
