export { fileWorkflow } from './fileWorkflow';
export { statusWorkflow } from './statusWorkflow';
