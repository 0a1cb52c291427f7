// Placeholder: written with its issue in this session.
export {};
