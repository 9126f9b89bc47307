/// A small well-formedness check for the report's markup: every element is closed in order (void elements are
/// written self-closed), attribute values are quoted, and no raw `<` or `&` appears in text. It is not an XML
/// parser, but it catches what a renderer bug would produce: unbalanced tags and unescaped text.
enum MarkupChecker {
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// Checks the whole document; returns the element names in the order they were opened.
    @discardableResult
    static func check(_ markup: String) throws(Problem) -> [String] {
        var stack: [String] = []
        var opened: [String] = []
        let chars = Array(markup.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "&" {
                var j = i + 1
                while j < chars.count, j - i < 10, chars[j] != ";" { j += 1 }
                guard j < chars.count, chars[j] == ";" else { throw Problem(description: "bare & at offset \(i)") }
                i = j + 1
                continue
            }
            guard c == "<" else { i += 1; continue }
            var j = i + 1
            var quote: Unicode.Scalar? = nil
            while j < chars.count {
                let d = chars[j]
                if let q = quote {
                    if d == q { quote = nil }
                    if d == "<" { throw Problem(description: "raw < inside an attribute at offset \(j)") }
                } else if d == "\"" || d == "'" {
                    quote = d
                } else if d == ">" {
                    break
                } else if d == "<" {
                    throw Problem(description: "raw < in text at offset \(i)")
                }
                j += 1
            }
            guard j < chars.count else { throw Problem(description: "unterminated tag at offset \(i)") }
            let body = String(String.UnicodeScalarView(chars[(i + 1)..<j]))
            i = j + 1
            if body.hasPrefix("!") || body.hasPrefix("?") { continue }
            if body.hasPrefix("/") {
                let name = String(body.dropFirst())
                guard let top = stack.popLast() else { throw Problem(description: "</\(name)> closes nothing") }
                guard top == name else { throw Problem(description: "</\(name)> closes <\(top)>") }
                continue
            }
            let name = String(body.prefix { !$0.isWhitespace && $0 != "/" })
            guard !name.isEmpty else { throw Problem(description: "empty tag name at offset \(i)") }
            opened.append(name)
            if !body.hasSuffix("/") { stack.append(name) }
        }
        guard stack.isEmpty else { throw Problem(description: "unclosed elements: \(stack.joined(separator: ", "))") }
        return opened
    }

    /// The `<svg …>…</svg>` fragments of a document, outermost only.
    static func svgFragments(_ markup: String) -> [String] {
        var out: [String] = []
        var rest = Substring(markup)
        while let start = rest.firstRange(of: "<svg ") {
            guard let end = rest[start.lowerBound...].firstRange(of: "</svg>") else { break }
            out.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        return out
    }
}
