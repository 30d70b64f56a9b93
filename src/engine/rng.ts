// The engine's initializers draw from the project-wide seeded generator.
export * from "../core/rng";
