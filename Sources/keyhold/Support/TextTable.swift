/// The column layout every table of the CLI uses (`list`, retired keys, `hosts`): each cell padded to its column's
/// widest cell plus two spaces, the last column left as it is, one row per line.
enum TextTable {
  /// `rows` (the header first) laid out in columns, ending with a newline.
  static func render(_ rows: [[String]]) -> String {
    guard let first = rows.first else { return "" }
    let widths = (0..<first.count - 1).map { c in rows.map { $0[c].count }.max() ?? 0 }
    return rows.map { row in
      row.enumerated().map { i, cell in
        i < widths.count ? cell.padding(toLength: widths[i] + 2, withPad: " ", startingAt: 0) : cell
      }.joined()
    }.joined(separator: "\n") + "\n"
  }
}
