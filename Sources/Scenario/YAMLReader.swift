public import SimCore
public import Yams

/// A problem in a scenario file, located to the line and column where a reader should look.
///
/// `sim run` prints `description` and exits with code 2 before anything runs, so a scenario is either wholly
/// valid or nothing happens.
public struct ScenarioError: Error, CustomStringConvertible, Equatable, Sendable {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(file: String, line: Int?, column: Int?, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `scenarios/x.yaml:12:5: error: …` — the form compilers use, which editors and terminals link to.
    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if let column { s += ":\(column)" }
        return s + ": error: " + message
    }
}

/// The YAML text of one file, and the composed node tree whose nodes carry their line:column marks.
public struct YAMLDocument {
    public let file: String
    public let text: String
    public let root: Node

    /// Composes `text`. A YAML syntax error becomes a `ScenarioError` at libyaml's reported position.
    public init(file: String, text: String) throws(ScenarioError) {
        self.file = file
        self.text = text
        let composed: Node?
        do {
            composed = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw YAMLDocument.locate(error, file: file)
        } catch {
            throw ScenarioError(file: file, line: nil, column: nil, message: "cannot read YAML: \(error)")
        }
        guard let composed else {
            throw ScenarioError(file: file, line: 1, column: 1, message: "the file is empty; expected a mapping with at least `name:`")
        }
        root = composed
    }

    /// The reader for the document's top level.
    public var reader: YAMLValue { YAMLValue(node: root, path: "", file: file) }

    static func locate(_ error: YamlError, file: String) -> ScenarioError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            var message = "YAML syntax: \(problem)"
            if let context { message += " (\(context.text) at \(context.mark.line):\(context.mark.column))" }
            return ScenarioError(file: file, line: mark.line, column: mark.column, message: message)
        case let .duplicatedKeysInMapping(duplicates, context):
            return ScenarioError(file: file, line: context.mark.line, column: context.mark.column,
                                 message: "duplicate key(s) \(duplicates.joined(separator: ", ")) in one mapping")
        default:
            return ScenarioError(file: file, line: nil, column: nil, message: "YAML: \(error)")
        }
    }
}

/// A node and where it sits, with typed accessors that fail with a located, readable error.
public struct YAMLValue {
    public let node: Node
    /// A dotted path for messages: `jobs[0].spark.trigger`.
    public let path: String
    public let file: String

    public init(node: Node, path: String, file: String) {
        self.node = node
        self.path = path
        self.file = file
    }

    public var line: Int? { node.mark?.line }
    public var column: Int? { node.mark?.column }

    /// An error located at this node.
    public func error(_ message: String) -> ScenarioError {
        ScenarioError(file: file, line: line, column: column, message: message)
    }

    var what: String { path.isEmpty ? "the top level" : "`\(path)`" }

    /// A short description of what the node is, for "expected X, found Y" messages.
    var found: String {
        switch node {
        case .scalar(let s): return s.string.isEmpty ? "an empty value" : "\"\(s.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    public var isNull: Bool {
        if case .scalar(let s) = node { return s.tag == .implicit && ["", "~", "null", "Null", "NULL"].contains(s.string) && s.style == .plain }
        return false
    }

    // MARK: scalars

    public func string() throws(ScenarioError) -> String {
        guard case .scalar(let s) = node else { throw error("\(what): expected a string, found \(found)") }
        return s.string
    }

    public func int() throws(ScenarioError) -> Int64 {
        guard case .scalar(let s) = node, let v = Int64(s.string.replacingUnderscores) else {
            throw error("\(what): expected an integer, found \(found)")
        }
        return v
    }

    public func uint64() throws(ScenarioError) -> UInt64 {
        guard case .scalar(let s) = node, let v = UInt64(s.string.replacingUnderscores) else {
            throw error("\(what): expected a non-negative integer (a seed is 0 … 18446744073709551615), found \(found)")
        }
        return v
    }

    public func double() throws(ScenarioError) -> Double {
        guard case .scalar(let s) = node, let v = Double(s.string.replacingUnderscores), v.isFinite else {
            throw error("\(what): expected a number, found \(found)")
        }
        return v
    }

    public func bool() throws(ScenarioError) -> Bool {
        guard case .scalar(let s) = node else { throw error("\(what): expected true or false, found \(found)") }
        switch s.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("\(what): expected true or false, found \(found)")
        }
    }

    /// A duration as Spark and Flink configs accept it (`10 seconds`, `500 ms`, `PT5S`); a bare integer is ms.
    public func duration() throws(ScenarioError) -> SimDuration {
        guard case .scalar(let s) = node else {
            throw error("\(what): expected a duration such as \"10 seconds\", found \(found)")
        }
        do {
            return try SimDuration.parse(s.string)
        } catch let e {
            throw error("\(what): \(e.description)")
        }
    }

    /// An instant: ISO-8601 (`2024-08-08T23:55:00Z`) or milliseconds since the epoch.
    public func instantMilliseconds() throws(ScenarioError) -> Int64 {
        guard case .scalar(let s) = node else { throw error("\(what): expected an instant, found \(found)") }
        if let ms = Int64(s.string) { return ms }
        if let ms = UTCTimestamp.parse(s.string) { return ms }
        throw error("\(what): expected an instant such as 2024-08-08T23:55:00Z (UTC if no zone) or milliseconds since the epoch, found \(found)")
    }

    /// One of a fixed set of words; the message lists them and suggests the nearest.
    public func oneOf<T: RawRepresentable & CaseIterable>(_ type: T.Type) throws(ScenarioError) -> T where T.RawValue == String {
        let text = try string()
        if let v = T(rawValue: text) { return v }
        let options = T.allCases.map(\.rawValue)
        var message = "\(what): \"\(text)\" is not one of \(options.joined(separator: ", "))"
        if let s = Suggestion.nearest(to: text, in: options) { message += "; did you mean \"\(s)\"?" }
        throw error(message)
    }

    // MARK: collections

    public func list() throws(ScenarioError) -> [YAMLValue] {
        guard case .sequence(let seq) = node else { throw error("\(what): expected a list, found \(found)") }
        return seq.enumerated().map { YAMLValue(node: $1, path: "\(path)[\($0)]", file: file) }
    }

    /// A mapping whose keys must all be in `allowed` (an unknown key is an error with a "did you mean").
    public func mapping(allowed: [String]) throws(ScenarioError) -> YAMLMapping {
        guard case .mapping(let m) = node else { throw error("\(what): expected a mapping, found \(found)") }
        var seen: [String] = []
        for (k, _) in m {
            let key = YAMLValue(node: k, path: path, file: file)
            let name = try key.string()
            if !allowed.contains(name) {
                var message = "unknown key `\(name)` in \(what)"
                if let s = Suggestion.nearest(to: name, in: allowed) { message += "; did you mean `\(s)`?" }
                message += " (allowed: \(allowed.joined(separator: ", ")))"
                throw key.error(message)
            }
            seen.append(name)
        }
        return YAMLMapping(value: self, mapping: m, keys: seen)
    }

    /// A mapping with arbitrary keys, in document order (for maps such as a schema `{symbol: string}`).
    public func entries() throws(ScenarioError) -> [(key: String, value: YAMLValue)] {
        guard case .mapping(let m) = node else { throw error("\(what): expected a mapping, found \(found)") }
        var out: [(String, YAMLValue)] = []
        for (k, v) in m {
            let name = try YAMLValue(node: k, path: path, file: file).string()
            out.append((name, YAMLValue(node: v, path: path.isEmpty ? name : "\(path).\(name)", file: file)))
        }
        return out
    }
}

/// A validated mapping: typed lookups of optional and required keys.
public struct YAMLMapping {
    public let value: YAMLValue
    let mapping: Node.Mapping
    /// The keys present, in document order.
    public let keys: [String]

    public func has(_ key: String) -> Bool { keys.contains(key) }

    /// The value at `key`, or nil when absent (an explicit `null` counts as absent).
    public subscript(key: String) -> YAMLValue? {
        guard let v = mapping[key] else { return nil }
        let child = YAMLValue(node: v, path: value.path.isEmpty ? key : "\(value.path).\(key)", file: value.file)
        return child.isNull ? nil : child
    }

    /// The value at `key`, or an error naming the missing key.
    public func required(_ key: String, hint: String = "") throws(ScenarioError) -> YAMLValue {
        guard let v = self[key] else {
            throw value.error("\(value.what) needs `\(key)`\(hint.isEmpty ? "" : " (\(hint))")")
        }
        return v
    }

    public func string(_ key: String, default d: String) throws(ScenarioError) -> String { try self[key]?.string() ?? d }
    public func int(_ key: String, default d: Int64) throws(ScenarioError) -> Int64 { try self[key]?.int() ?? d }
    public func double(_ key: String, default d: Double) throws(ScenarioError) -> Double { try self[key]?.double() ?? d }
    public func bool(_ key: String, default d: Bool) throws(ScenarioError) -> Bool { try self[key]?.bool() ?? d }
    public func duration(_ key: String, default d: SimDuration) throws(ScenarioError) -> SimDuration { try self[key]?.duration() ?? d }
    public func optionalDuration(_ key: String) throws(ScenarioError) -> SimDuration? { try self[key]?.duration() }
}

/// "Did you mean" suggestions by edit distance.
public enum Suggestion {
    /// The candidate closest to `word` by Damerau–Levenshtein distance (case-insensitive, `-`/`_`/`.` ignored),
    /// if it is close enough to be a likely typo.
    public static func nearest(to word: String, in candidates: [String]) -> String? {
        let w = normalise(word)
        var best: (String, Int)?
        for c in candidates {
            let d = distance(w, normalise(c))
            if best == nil || d < best!.1 { best = (c, d) }
        }
        guard let (c, d) = best else { return nil }
        let limit = max(2, w.count / 3)
        return d <= limit ? c : nil
    }

    static func normalise(_ s: String) -> [Character] {
        Array(s.lowercased().filter { $0 != "-" && $0 != "_" && $0 != "." })
    }

    /// Optimal-string-alignment distance (Levenshtein plus adjacent transposition).
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}

extension String {
    var replacingUnderscores: String { String(filter { $0 != "_" }) }
}
