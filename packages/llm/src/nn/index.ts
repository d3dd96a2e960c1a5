export { Module, Parameter, type LoadReport } from './module.js';
export * from './layers.js';
