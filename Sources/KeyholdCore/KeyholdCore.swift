/// The use cases behind keyhold's commands: each command parses its flags, calls one function here and prints
/// the value it returns. Nothing in this module prints, reads the terminal or the environment, or exits.
public enum KeyholdCore {}
