import 'swagger-ui-dist/swagger-ui.css';
import '@/docs/docs.css';
import { mountDocs } from '@/docs/mount-docs';

const root = document.getElementById('root');
if (!root) throw new Error('docs.html has no #root element');
mountDocs(root);
