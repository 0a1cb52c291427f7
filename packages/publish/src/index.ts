// Placeholder: written with the publish bus issue in this session.
export {};
