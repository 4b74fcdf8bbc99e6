extension ShiftGeometry {
    /// The per-axis values of a field that holds one value or `rank` values, or an error naming
    /// the field (`argument`).
    func perAxis(_ values: [Int], rank: Int, argument: String) throws -> [Int] {
        if values.count == 1 { return Array(repeating: values[0], count: rank) }
        guard values.count == rank else {
            throw ShiftOpsError(.invalidGeometry, argument: argument,
                                "expected 1 or \(rank) values for \(rank) spatial axes, got \(values.count)")
        }
        return values
    }
}
