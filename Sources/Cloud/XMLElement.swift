/// One element of a parsed XML document: its local name, its own character data and its child elements.
///
/// Namespaces are dropped (`ec2:keySet` is `keySet`), attributes are skipped, and lookups ignore element order —
/// exactly what reading EC2 Query API responses needs (their namespace and element order vary between AWS,
/// Eucalyptus and moto).
public struct XMLElement: Sendable, Equatable {
  /// The element name without any namespace prefix.
  public var name: String
  /// The character data directly inside this element, entities decoded, untrimmed.
  public var text: String
  /// The child elements in document order.
  public var children: [XMLElement]

  /// Creates an element.
  public init(name: String, text: String = "", children: [XMLElement] = []) {
    self.name = name
    self.text = text
    self.children = children
  }

  /// The first child with the given local name.
  public func child(_ name: String) -> XMLElement? {
    children.first { $0.name == name }
  }

  /// All children with the given local name.
  public func children(named name: String) -> [XMLElement] {
    children.filter { $0.name == name }
  }

  /// The trimmed text of the first child called `name`, or nil when there is no such child.
  public func value(_ name: String) -> String? {
    child(name).map { String($0.text.trimmingSpaces) }
  }

  /// The first element called `name` at any depth below this one (depth-first, document order).
  public func descendant(_ name: String) -> XMLElement? {
    for c in children {
      if c.name == name { return c }
      if let d = c.descendant(name) { return d }
    }
    return nil
  }

  /// The `item` children of the first descendant called `setName` (EC2's list shape, `<keySet><item/>...`).
  public func items(of setName: String) -> [XMLElement] {
    if let set = child(setName) ?? descendant(setName) { return set.children(named: "item") }
    return []
  }
}
