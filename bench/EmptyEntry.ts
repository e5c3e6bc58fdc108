// The floor of any TypeScript entry point: Node strips the types of this empty module (loading its TypeScript
// stripper) and exits.
export {}
