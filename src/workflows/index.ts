export { fileWorkflow } from './fileWorkflow';
export { statusWorkflow } from './statusWorkflow';
export { integrationWorkflow } from './integrationWorkflow';
export { sweepWorkflow } from './sweepWorkflow';
export { exportWorkflow } from './exportWorkflow';
