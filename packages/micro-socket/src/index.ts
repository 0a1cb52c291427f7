// Placeholder: written with the Micro plugin issue in this session.
export {};
