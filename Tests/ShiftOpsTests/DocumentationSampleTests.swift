import Foundation
import Testing

/// The documentation that ships: README.md and every Markdown file of the DocC catalogs under
/// `Sources`, and the test files that compile and run their Swift samples.
enum ShippedDocumentation {
    /// The package root, three levels above this file.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The catalogs every library must have.
    static let catalogs = ["Sources/ShiftOps/ShiftOps.docc", "Sources/ShiftNets/ShiftNets.docc",
                           "Sources/ShiftCUDA/ShiftCUDA.docc"]

    /// The files whose tests hold the samples, word for word. The CUDA one compiles with the `CUDA`
    /// trait only, as the samples it holds do.
    static let exampleFiles = ["Tests/ShiftOpsTests/DocumentationExampleTests.swift",
                               "Tests/ShiftNetsTests/DocumentationNetsExampleTests.swift",
                               "Tests/ShiftNetsTests/UserLayerTests.swift",
                               "Tests/ShiftCUDATests/DocumentationCUDAExampleTests.swift"]

    /// README.md, then each catalog's Markdown files, as paths relative to the root.
    static func documents() throws -> [String] {
        var paths = ["README.md"]
        for catalog in catalogs {
            let names = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(catalog).path)
            paths += names.filter { $0.hasSuffix(".md") }.sorted().map { catalog + "/" + $0 }
        }
        return paths
    }

    static func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }
}

/// A fenced code block of a Markdown file.
struct CodeSample {
    var document: String
    /// The line of the opening fence, counting from 1.
    var line: Int
    /// The fence's info string (`swift`, `sh`, or empty).
    var language: String
    var text: String

    var location: String { "\(document):\(line)" }

    /// Every fenced block of `markdown`, fences indented or not.
    static func all(in markdown: String, document: String) -> [CodeSample] {
        var samples: [CodeSample] = []
        var open: (line: Int, language: String, body: [Substring])?
        for (index, line) in markdown.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("```") {
                if let current = open {
                    samples.append(CodeSample(document: document, line: current.line, language: current.language,
                                              text: current.body.joined(separator: "\n")))
                    open = nil
                } else {
                    open = (index + 1, String(trimmed.dropFirst(3)).trimmingCharacters(in: .whitespaces), [])
                }
            } else if open != nil {
                open!.body.append(line)
            }
        }
        return samples
    }

    /// Whether this is a package manifest (which no test can compile; it is checked against
    /// `Package.swift` instead).
    var isManifest: Bool { text.contains("import PackageDescription") }

    /// The modules the sample imports.
    var imports: [String] {
        text.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ")
            return words.count == 2 && words[0] == "import" ? String(words[1]) : nil
        }
    }

    /// The sample without its import lines, every run of white space made one space.
    var normalizedBody: String {
        let body = text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("import ") }
            .joined(separator: "\n")
        return normalizeWhitespace(body)
    }
}

/// `text` with every run of white space made one space, trimmed: indentation and line breaks
/// differ between a document and a test body, the code does not.
func normalizeWhitespace(_ text: String) -> String {
    text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
}

/// What ships as documentation holds only samples that compile, links that resolve and the
/// project's own words.
@Suite struct DocumentationSampleTests {
    /// Every ```swift sample of the README and the catalogs appears, as it is written there, in
    /// one of the example test files (which compile it and check what it claims), and that file
    /// imports what the sample imports. A sample edited in the documentation but not in its test
    /// fails here.
    @Test func everySwiftSampleIsCompiledByATest() throws {
        let examples = try ShippedDocumentation.exampleFiles.map { path in
            (path: path, text: try ShippedDocumentation.read(path))
        }
        let normalizedExamples = examples.map { normalizeWhitespace($0.text) }
        var checked = 0
        for document in try ShippedDocumentation.documents() {
            let samples = CodeSample.all(in: try ShippedDocumentation.read(document), document: document)
            for sample in samples where sample.language == "swift" && !sample.isManifest {
                checked += 1
                let holders = examples.indices.filter { normalizedExamples[$0].contains(sample.normalizedBody) }
                guard let holder = holders.first else {
                    Issue.record("""
                        \(sample.location): this Swift sample is not compiled by any test. Copy it, as it is, \
                        into a test in one of \(ShippedDocumentation.exampleFiles), or make the test's copy match it:
                        \(sample.text)
                        """)
                    continue
                }
                let fileLines = examples[holder].text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                for module in sample.imports where !fileLines.contains("import \(module)") && !fileLines.contains("@testable import \(module)") {
                    Issue.record("\(sample.location): the sample imports \(module) but \(examples[holder].path), which compiles it, does not")
                }
            }
        }
        // The README's example and the catalogs' guides: far more than a handful.
        #expect(checked >= 20, "only \(checked) Swift samples found; is the fence parsing broken?")
    }

    /// Manifest samples name real library products, the package's own name and real traits, with
    /// a tools version that has traits.
    @Test func manifestSamplesNameRealProductsAndTraits() throws {
        let manifest = try ShippedDocumentation.read("Package.swift")
        let libraries = Set(captures(of: #"\.library\(name: "([^"]+)""#, in: manifest))
        let traits = Set(captures(of: #"\.trait\(name: "([^"]+)""#, in: manifest))
        #expect(libraries == ["ShiftOps", "ShiftNets", "ShiftCUDA"])
        var manifests = 0
        for document in try ShippedDocumentation.documents() {
            let samples = CodeSample.all(in: try ShippedDocumentation.read(document), document: document)
            for sample in samples where sample.language == "swift" && sample.isManifest {
                manifests += 1
                #expect(sample.text.hasPrefix("// swift-tools-version:6.1"), "\(sample.location): traits need tools version 6.1")
                let products = captures(of: #"\.product\(name: "([^"]+)", package: "([^"]+)"\)"#, in: sample.text)
                #expect(!products.isEmpty, "\(sample.location): no .product(name:package:) line")
                for product in products {
                    #expect(libraries.contains(product), "\(sample.location): no library product named \(product)")
                }
                for package in captures(of: #"package: "([^"]+)""#, in: sample.text) {
                    #expect(package == "ShiftOps", "\(sample.location): the package is ShiftOps, not \(package)")
                }
                for url in captures(of: #"\.package\(url: "([^"]+)""#, in: sample.text) {
                    #expect(url.hasSuffix("/ShiftOps.git"), "\(sample.location): \(url) would not be named ShiftOps")
                }
                for trait in captures(of: #"traits: \["([^"]+)"\]"#, in: sample.text) {
                    #expect(traits.contains(trait), "\(sample.location): no trait named \(trait)")
                }
            }
        }
        #expect(manifests >= 2)
    }

    /// Nothing that ships cites the internal specification, which does not ship.
    @Test func documentationNeverCitesTheSpecification() throws {
        // The doc comments and comments of everything that ships, the kernels included.
        let sourceSuffixes = [".swift", ".h", ".c", ".cu", ".cuh"]
        var sources: [String] = []
        for folder in ["Sources", "CKernels"] {
            let base = ShippedDocumentation.root.appendingPathComponent(folder).path
            let enumerator = try #require(FileManager.default.enumerator(atPath: base))
            while let relative = enumerator.nextObject() as? String {
                if sourceSuffixes.contains(where: { relative.hasSuffix($0) }) { sources.append(folder + "/" + relative) }
            }
        }
        #expect(sources.count > 50, "the source scan found \(sources.count) files")
        for source in sources.sorted() {
            for (index, line) in try ShippedDocumentation.read(source).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                #expect(!line.contains("SPEC"), "\(source):\(index + 1) cites the specification: \(line)")
            }
        }
        for document in try ShippedDocumentation.documents() {
            for (index, line) in try ShippedDocumentation.read(document).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                #expect(!line.contains("SPEC") && !line.contains("§"),
                        "\(document):\(index + 1) cites the specification: \(line)")
            }
        }
    }

    /// Every catalog exists with its landing page, and every relative link of the README reaches a
    /// file.
    @Test func catalogsAndReadmeLinksExist() throws {
        for catalog in ShippedDocumentation.catalogs {
            let library = (catalog as NSString).lastPathComponent.replacingOccurrences(of: ".docc", with: "")
            let landing = try ShippedDocumentation.read("\(catalog)/\(library).md")
            #expect(landing.hasPrefix("# ``\(library)``"), "\(catalog): the landing page must document the module")
        }
        let readme = try ShippedDocumentation.read("README.md")
        let links = captures(of: #"\]\(([^)#]+)\)"#, in: readme).filter { !$0.contains("://") }
        #expect(links.count >= 10)
        for link in links {
            #expect(FileManager.default.fileExists(atPath: ShippedDocumentation.root.appendingPathComponent(link).path),
                    "README.md links to \(link), which does not exist")
        }
    }

    /// The parser itself: fences, languages and whitespace.
    @Test func samplesAreFoundAndNormalised() {
        let markdown = "text\n```swift\nimport ShiftOps\nlet a  =\n    1\n```\n  ```sh\nswift test\n  ```\n"
        let samples = CodeSample.all(in: markdown, document: "x.md")
        #expect(samples.map(\.language) == ["swift", "sh"])
        #expect(samples.map(\.line) == [2, 7])
        #expect(samples[0].imports == ["ShiftOps"])
        #expect(samples[0].normalizedBody == "let a = 1")
    }
}

/// The first capture group of every match of `pattern` in `text`.
private func captures(of pattern: String, in text: String) -> [String] {
    guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
    let range = NSRange(text.startIndex..., in: text)
    return regex.matches(in: text, range: range).compactMap { match in
        Range(match.range(at: 1), in: text).map { String(text[$0]) }
    }
}
