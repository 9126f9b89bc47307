import XCTest
@testable import SimCore

final class SchedulerTests: XCTestCase {
    func testOrderIsTimeThenPhaseThenInsertion() {
        let s = Scheduler(start: ProcessingTime(0))
        var ran: [String] = []
        s.schedule(at: ProcessingTime(20), phase: .engine, "e20") { ran.append("e20") }
        s.schedule(at: ProcessingTime(10), phase: .engine, "e10a") { ran.append("e10a") }
        s.schedule(at: ProcessingTime(10), phase: .input, "i10") { ran.append("i10") }
        s.schedule(at: ProcessingTime(10), phase: .engine, "e10b") { ran.append("e10b") }
        s.schedule(at: ProcessingTime(10), phase: .fault, "f10") { ran.append("f10") }
        s.runUntilIdle()
        // An input at an instant runs before an engine timer at the same instant; faults before both.
        XCTAssertEqual(ran, ["f10", "i10", "e10a", "e10b", "e20"])
        XCTAssertEqual(s.now, ProcessingTime(20))
        XCTAssertEqual(s.executedCount, 5)
    }

    func testNowIsSetBeforeTheActionRunsAndNeverGoesBack() {
        let s = Scheduler(start: ProcessingTime(100))
        var seen: [ProcessingTime] = []
        s.schedule(at: ProcessingTime(150), "a") { seen.append(s.now) }
        // Scheduling in the past runs "now", not in the past.
        s.schedule(at: ProcessingTime(50), "past") { seen.append(s.now) }
        s.runUntilIdle()
        XCTAssertEqual(seen, [ProcessingTime(100), ProcessingTime(150)])
    }

    func testCancel() {
        let s = Scheduler()
        var ran: [Int] = []
        let a = s.schedule(after: .seconds(1), "a") { ran.append(1) }
        s.schedule(after: .seconds(2), "b") { ran.append(2) }
        XCTAssertTrue(s.isPending(a))
        XCTAssertTrue(s.cancel(a))
        XCTAssertFalse(s.cancel(a))
        XCTAssertEqual(s.pendingCount, 1)
        XCTAssertEqual(s.peek()?.label, "b")
        s.runUntilIdle()
        XCTAssertEqual(ran, [2])
    }

    func testStepRunsOneEventAndReportsIt() {
        let s = Scheduler()
        var count = 0
        s.schedule(at: ProcessingTime(5), phase: .input, "produce") { count += 1 }
        s.schedule(at: ProcessingTime(7), "trigger") { count += 10 }
        let first = s.step()
        XCTAssertEqual(first?.label, "produce")
        XCTAssertEqual(first?.time, ProcessingTime(5))
        XCTAssertEqual(first?.phase, .input)
        XCTAssertEqual(first?.stepNumber, 1)
        XCTAssertEqual(first?.description, "step 1 @1970-01-01T00:00:00.005Z [input] produce")
        XCTAssertEqual(count, 1)
        XCTAssertEqual(s.step()?.stepNumber, 2)
        XCTAssertNil(s.step())
        XCTAssertEqual(count, 11)
    }

    func testRunUntilIncludesEventsScheduledOnTheWayAndAdvancesTheClock() {
        let s = Scheduler()
        var ticks: [Int64] = []
        func tick() {
            ticks.append(s.now.millisecondsSinceEpoch)
            s.schedule(after: .milliseconds(200), "tick") { tick() }
        }
        s.schedule(at: .epoch, "tick") { tick() }
        let n = s.run(until: ProcessingTime(1000))
        XCTAssertEqual(ticks, [0, 200, 400, 600, 800, 1000])
        XCTAssertEqual(n, 6)
        XCTAssertEqual(s.now, ProcessingTime(1000))
        s.run(until: ProcessingTime(1100))
        XCTAssertEqual(s.now, ProcessingTime(1100), "the clock moves to the deadline even with nothing due")
        XCTAssertEqual(s.nextEventTime, ProcessingTime(1200))
    }
}
