#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The C math library, named so that the few transcendental functions the simulation uses are in one place.
// glibc's exp/log/cos (2.28+) are the same code on every x86-64 and arm64 Linux machine this project targets.
@inline(__always) public func logValue(_ x: Double) -> Double { log(x) }
@inline(__always) public func expValue(_ x: Double) -> Double { exp(x) }
@inline(__always) public func cosValue(_ x: Double) -> Double { cos(x) }
@inline(__always) public func powValue(_ x: Double, _ y: Double) -> Double { pow(x, y) }
