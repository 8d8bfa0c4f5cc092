import { triageProject } from '../../vitest.shared.ts';

export default triageProject(import.meta.url);
