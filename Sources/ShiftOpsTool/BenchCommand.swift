enum BenchCommand {
    static func main(_ arguments: [String], output: (String) -> Void, progress: (String) -> Void) throws {
        throw UsageError("bench is not built yet")
    }
}
