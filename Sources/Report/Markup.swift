// Building HTML and SVG text safely: every piece of text from the observations goes through `Markup.escape`, and
// elements are written with explicit closing tags (void elements self-closed) so the output is also well-formed XML.

/// Escaping and a minimal element writer for HTML and inline SVG.
enum Markup {
    /// Escapes text for element content and for double- or single-quoted attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab and newline are not allowed in XML 1.0; drop them.
                if scalar.value < 0x20 && scalar != "\t" && scalar != "\n" { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `name="value"` pairs in the given order; values are escaped, nil values left out.
    static func attributes(_ pairs: [(String, String?)]) -> String {
        var out = ""
        for (name, value) in pairs {
            guard let value else { continue }
            out += " \(name)=\"\(escape(value))\""
        }
        return out
    }
}

/// Appends markup to a string. Text passed as `text:` or `title:` is escaped; `raw` is trusted markup built here.
struct MarkupWriter {
    private(set) var output = ""

    mutating func raw(_ markup: String) { output += markup }

    mutating func line(_ markup: String) { output += markup + "\n" }

    /// `<name attrs>escaped text</name>`.
    mutating func element(_ name: String, _ attrs: [(String, String?)] = [], text: String) {
        output += "<\(name)\(Markup.attributes(attrs))>\(Markup.escape(text))</\(name)>"
    }

    /// `<name attrs/>`, or with an SVG `<title>` child (the browser's native tooltip) when `title` is given.
    mutating func empty(_ name: String, _ attrs: [(String, String?)], title: String? = nil) {
        if let title {
            output += "<\(name)\(Markup.attributes(attrs))><title>\(Markup.escape(title))</title></\(name)>\n"
        } else {
            output += "<\(name)\(Markup.attributes(attrs))/>\n"
        }
    }

    /// `<name attrs>` … body … `</name>`.
    mutating func wrap(_ name: String, _ attrs: [(String, String?)] = [], _ body: (inout MarkupWriter) -> Void) {
        output += "<\(name)\(Markup.attributes(attrs))>"
        body(&self)
        output += "</\(name)>\n"
    }
}

/// Short names for SVG numbers.
func px(_ v: Double) -> String { NumberText.coordinate(v) }
