import Yams

/// A scenario file as a plain tree (mappings keep their key order, scalars remember whether they were quoted), so that
/// code — SimTesting's swarm generator and shrinker — can build or edit a scenario and print it back as YAML that
/// `ScenarioDocument.parse` reads the same way. Comments are not kept.
public indirect enum YAMLTree: Sendable, Equatable {
    /// A scalar; `quoted` keeps a quoted scalar a string (`"61000.0"` must not become a number).
    case scalar(String, quoted: Bool)
    case list([YAMLTree])
    case map([YAMLEntry])

    /// A plain scalar.
    public static func plain(_ s: String) -> YAMLTree { .scalar(s, quoted: false) }
    /// A quoted (string) scalar.
    public static func text(_ s: String) -> YAMLTree { .scalar(s, quoted: true) }

    /// Parses YAML text (the first document).
    public static func parse(_ text: String) throws -> YAMLTree {
        guard let node = try Yams.compose(yaml: text) else { return .map([]) }
        return YAMLTree(node)
    }

    init(_ node: Node) {
        switch node {
        case .scalar(let s): self = .scalar(s.string, quoted: s.style == .singleQuoted || s.style == .doubleQuoted)
        case .sequence(let q): self = .list(q.map { YAMLTree($0) })
        case .mapping(let m): self = .map(m.map { YAMLEntry($0.key.scalar?.string ?? "", YAMLTree($0.value)) })
        case .alias: self = .scalar("", quoted: false)
        }
    }

    // MARK: access

    public var scalarText: String? { if case .scalar(let s, _) = self { return s } else { return nil } }
    public var items: [YAMLTree]? { if case .list(let l) = self { return l } else { return nil } }
    public var entries: [YAMLEntry]? { if case .map(let m) = self { return m } else { return nil } }

    /// The value under `key` of a mapping; setting nil removes the key, setting a new key appends it.
    public subscript(key: String) -> YAMLTree? {
        get { entries?.first { $0.key == key }?.value }
        set {
            guard case .map(var m) = self else { return }
            if let i = m.firstIndex(where: { $0.key == key }) {
                if let newValue { m[i].value = newValue } else { m.remove(at: i) }
            } else if let newValue {
                m.append(YAMLEntry(key, newValue))
            }
            self = .map(m)
        }
    }

    // MARK: rendering

    /// Block-style YAML; small mappings and lists of scalars are written in flow style on one line, as the scenarios
    /// in `scenarios/` are.
    public func render() -> String {
        var out = ""
        renderBlock(into: &out, indent: 0)
        return out
    }

    func renderBlock(into out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        switch self {
        case .scalar, .list([]), .map([]):
            out += pad + flow() + "\n"
        case .map(let m):
            for e in m {
                let key = YAMLTree.scalarText(e.key, quoted: false)
                if let f = e.value.flowIfShort(width: 150 - indent - key.count) {
                    out += pad + key + ": " + f + "\n"
                } else {
                    out += pad + key + ":\n"
                    e.value.renderBlock(into: &out, indent: e.value.isList ? indent : indent + 2)
                }
            }
        case .list(let l):
            for item in l {
                if let f = item.flowIfShort(width: 150 - indent - 2) {
                    out += pad + "- " + f + "\n"
                } else {
                    var inner = ""
                    item.renderBlock(into: &inner, indent: indent + 2)
                    // "- " takes the place of the first line's indentation.
                    out += pad + "- " + inner.dropFirst(indent + 2)
                }
            }
        }
    }

    var isList: Bool { if case .list = self { return true } else { return false } }

    func flowIfShort(width: Int) -> String? {
        switch self {
        case .scalar: return flow()
        default:
            guard depth <= 3 else { return nil }
            let f = flow()
            return f.count <= max(40, width) ? f : nil
        }
    }

    var depth: Int {
        switch self {
        case .scalar: return 0
        case .list(let l): return 1 + (l.map(\.depth).max() ?? 0)
        case .map(let m): return 1 + (m.map(\.value.depth).max() ?? 0)
        }
    }

    /// Flow style: `{a: 1, b: [x, y]}`.
    public func flow() -> String {
        switch self {
        case .scalar(let s, let quoted): return YAMLTree.scalarText(s, quoted: quoted)
        case .list(let l): return "[" + l.map { $0.flow() }.joined(separator: ", ") + "]"
        case .map(let m): return "{" + m.map { YAMLTree.scalarText($0.key, quoted: false) + ": " + $0.value.flow() }.joined(separator: ", ") + "}"
        }
    }

    /// A scalar as YAML: plain when that reads back as the same text (in block and flow context), else single-quoted.
    static func scalarText(_ s: String, quoted: Bool) -> String {
        if !quoted && isSafePlain(s) { return s }
        return "'" + s.yamlReplacing("'", with: "''") + "'"
    }

    static func isSafePlain(_ s: String) -> Bool {
        guard let first = s.first, let last = s.last, first != " ", last != " " else { return false }
        if "-?:,[]{}#&*!|>'\"%@`".contains(first) && !(first == "-" && s.count > 1 && s.dropFirst().first!.isNumber) { return false }
        if s.contains(": ") || s.contains(" #") || s.hasSuffix(":") { return false }
        if s.contains(where: { ",[]{}\n\t".contains($0) }) { return false }
        return true
    }
}

/// One `key: value` of a mapping.
public struct YAMLEntry: Sendable, Equatable {
    public var key: String
    public var value: YAMLTree
    public init(_ key: String, _ value: YAMLTree) {
        self.key = key
        self.value = value
    }
}

extension String {
    func yamlReplacing(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = String(rest).range(of: target) {
            let head = String(rest)[..<r.lowerBound]
            out += head
            out += replacement
            rest = rest.dropFirst(head.count + target.count)
        }
        return out + rest
    }
}
