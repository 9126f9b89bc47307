public import QueryModel

/// Why an expression in a scenario could not be read; `offset` is the character position in the text.
public struct ExpressionParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var text: String
    public var offset: Int
    public var message: String
    public var description: String { "\(message) at character \(offset + 1) of \"\(text)\"" }
}

/// Reads the small SQL expression language scenario files use for filters and derived columns — the subset of
/// Spark SQL / Flink SQL that the seed jobs use:
///
///     price IS NOT NULL AND price > 0
///     timestamp_millis(event_time)
///     CAST(event_time / 1000 AS timestamp)       -- the week-6 job's (event_time/1000).cast("timestamp")
///     CAST(price AS float)                        -- the Coinbase job's FloatType price
///     to_date(event_timestamp), hour(event_timestamp), current_timestamp()
///
/// Precedence, lowest first: `OR`, `AND`, `NOT`, comparison (`= == != <> < <= > >=`, `IS [NOT] NULL`), `+ -`,
/// `* /`, unary minus. Keywords and function names are case-insensitive; identifiers may be back-quoted.
public struct ExpressionParser {
    enum Token: Equatable {
        case identifier(String)
        case number(String)
        case string(String)
        case symbol(String)
        case end
    }

    let text: String
    var tokens: [(token: Token, offset: Int)] = []
    var position = 0

    public static func parse(_ text: String) throws(ExpressionParseError) -> ColumnExpression {
        var p = ExpressionParser(text: text)
        try p.tokenize()
        let e = try p.parseOr()
        guard case .end = p.current else { throw p.error("unexpected \(p.describe(p.current))") }
        return e
    }

    init(text: String) { self.text = text }

    var current: Token { tokens[position].token }

    func error(_ message: String) -> ExpressionParseError {
        ExpressionParseError(text: text, offset: tokens[min(position, tokens.count - 1)].offset, message: message)
    }

    func describe(_ t: Token) -> String {
        switch t {
        case .identifier(let s): return "`\(s)`"
        case .number(let s): return "number \(s)"
        case .string(let s): return "'\(s)'"
        case .symbol(let s): return "\"\(s)\""
        case .end: return "end of expression"
        }
    }

    mutating func tokenize() throws(ExpressionParseError) {
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            let start = i
            if c.isLetter || c == "_" {
                while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" || chars[i] == "." { i += 1 }
                tokens.append((.identifier(String(chars[start..<i])), start))
            } else if c == "`" {
                i += 1
                while i < chars.count, chars[i] != "`" { i += 1 }
                guard i < chars.count else { throw ExpressionParseError(text: text, offset: start, message: "unterminated `quoted` identifier") }
                tokens.append((.identifier(String(chars[(start + 1)..<i])), start))
                i += 1
            } else if c.isNumber || (c == "." && i + 1 < chars.count && chars[i + 1].isNumber) {
                while i < chars.count, chars[i].isNumber || chars[i] == "." { i += 1 }
                if i < chars.count, chars[i] == "e" || chars[i] == "E" {
                    i += 1
                    if i < chars.count, chars[i] == "+" || chars[i] == "-" { i += 1 }
                    while i < chars.count, chars[i].isNumber { i += 1 }
                }
                tokens.append((.number(String(chars[start..<i])), start))
            } else if c == "'" {
                var s = ""
                i += 1
                while true {
                    guard i < chars.count else { throw ExpressionParseError(text: text, offset: start, message: "unterminated 'string'") }
                    if chars[i] == "'" {
                        if i + 1 < chars.count, chars[i + 1] == "'" { s.append("'"); i += 2; continue }
                        i += 1
                        break
                    }
                    s.append(chars[i]); i += 1
                }
                tokens.append((.string(s), start))
            } else {
                let two = i + 1 < chars.count ? String(chars[i...(i + 1)]) : ""
                if ["<=", ">=", "!=", "<>", "=="].contains(two) {
                    tokens.append((.symbol(two), start)); i += 2
                } else if "()+-*/=<>,".contains(c) {
                    tokens.append((.symbol(String(c)), start)); i += 1
                } else {
                    throw ExpressionParseError(text: text, offset: start, message: "unexpected character \"\(c)\"")
                }
            }
        }
        tokens.append((.end, chars.count))
    }

    mutating func isKeyword(_ word: String) -> Bool {
        if case .identifier(let s) = current, s.uppercased() == word { return true }
        return false
    }

    mutating func acceptKeyword(_ word: String) -> Bool {
        if isKeyword(word) { position += 1; return true }
        return false
    }

    mutating func acceptSymbol(_ s: String) -> Bool {
        if current == .symbol(s) { position += 1; return true }
        return false
    }

    mutating func expectSymbol(_ s: String) throws(ExpressionParseError) {
        guard acceptSymbol(s) else { throw error("expected \"\(s)\", found \(describe(current))") }
    }

    mutating func parseOr() throws(ExpressionParseError) -> ColumnExpression {
        var e = try parseAnd()
        while acceptKeyword("OR") { e = .or(e, try parseAnd()) }
        return e
    }

    mutating func parseAnd() throws(ExpressionParseError) -> ColumnExpression {
        var e = try parseNot()
        while acceptKeyword("AND") { e = .and(e, try parseNot()) }
        return e
    }

    mutating func parseNot() throws(ExpressionParseError) -> ColumnExpression {
        if acceptKeyword("NOT") { return .not(try parseNot()) }
        return try parseComparison()
    }

    mutating func parseComparison() throws(ExpressionParseError) -> ColumnExpression {
        let left = try parseAdditive()
        if acceptKeyword("IS") {
            let negated = acceptKeyword("NOT")
            guard acceptKeyword("NULL") else { throw error("expected NULL after IS\(negated ? " NOT" : ""), found \(describe(current))") }
            return negated ? .isNotNull(left) : .isNull(left)
        }
        let ops: [(String, QueryModel.ComparisonOperator)] = [("=", .equal), ("==", .equal), ("!=", .notEqual), ("<>", .notEqual),
                                                             ("<=", .lessOrEqual), (">=", .greaterOrEqual), ("<", .less), (">", .greater)]
        for (symbol, op) in ops where acceptSymbol(symbol) {
            return .compare(op, left, try parseAdditive())
        }
        return left
    }

    mutating func parseAdditive() throws(ExpressionParseError) -> ColumnExpression {
        var e = try parseMultiplicative()
        while true {
            if acceptSymbol("+") { e = .arithmetic(.add, e, try parseMultiplicative()) } else if acceptSymbol("-") {
                e = .arithmetic(.subtract, e, try parseMultiplicative())
            } else { return e }
        }
    }

    mutating func parseMultiplicative() throws(ExpressionParseError) -> ColumnExpression {
        var e = try parseUnary()
        while true {
            if acceptSymbol("*") { e = .arithmetic(.multiply, e, try parseUnary()) } else if acceptSymbol("/") {
                e = .arithmetic(.divide, e, try parseUnary())
            } else { return e }
        }
    }

    mutating func parseUnary() throws(ExpressionParseError) -> ColumnExpression {
        if acceptSymbol("-") {
            let inner = try parseUnary()
            if case .literal(let v) = inner {
                switch v {
                case .long(let x): return .literal(.long(-x))
                case .double(let x): return .literal(.double(-x))
                default: break
                }
            }
            return .arithmetic(.subtract, .literal(.long(0)), inner)
        }
        return try parsePrimary()
    }

    static let functions = ["timestamp_millis", "timestamp_seconds", "to_timestamp", "to_date", "hour", "current_timestamp", "cast"]

    mutating func parsePrimary() throws(ExpressionParseError) -> ColumnExpression {
        let tok = current
        switch tok {
        case .number(let s):
            position += 1
            if let v = Int64(s) { return .literal(.long(v)) }
            if let v = Double(s) { return .literal(.double(v)) }
            throw error("bad number \(s)")
        case .string(let s):
            position += 1
            return .literal(.string(s))
        case .symbol("("):
            position += 1
            let e = try parseOr()
            try expectSymbol(")")
            return e
        case .identifier(let name):
            let upper = name.uppercased()
            if upper == "TRUE" { position += 1; return .literal(.bool(true)) }
            if upper == "FALSE" { position += 1; return .literal(.bool(false)) }
            if upper == "NULL" { position += 1; return .literal(.null) }
            position += 1
            guard acceptSymbol("(") else { return .column(name) }
            return try parseCall(name)
        default:
            throw error("expected a column, a number, a 'string' or a function, found \(describe(tok))")
        }
    }

    mutating func parseCall(_ name: String) throws(ExpressionParseError) -> ColumnExpression {
        let fn = name.lowercased()
        if fn == "cast" {
            let e = try parseOr()
            guard acceptKeyword("AS") else { throw error("expected AS in CAST(… AS type), found \(describe(current))") }
            guard case .identifier(let typeName) = current, let type = DataType(name: typeName) else {
                throw error("expected a type (boolean, int, long, float, double, string, timestamp, date), found \(describe(current))")
            }
            position += 1
            try expectSymbol(")")
            return .cast(e, type)
        }
        if fn == "current_timestamp" || fn == "now" {
            try expectSymbol(")")
            return .currentTimestamp
        }
        let arg = try parseOr()
        try expectSymbol(")")
        switch fn {
        case "timestamp_millis": return .timestampMillis(arg)
        case "timestamp_seconds": return .timestampSeconds(arg)
        case "to_timestamp": return .toTimestamp(arg)
        case "to_date": return .toDate(arg)
        case "hour": return .hour(arg)
        default:
            var message = "unknown function \(name)()"
            if let s = Suggestion.nearest(to: fn, in: ExpressionParser.functions) { message += "; did you mean \(s)()?" }
            message += " (known: \(ExpressionParser.functions.map { $0 + "()" }.joined(separator: ", ")))"
            throw error(message)
        }
    }
}
