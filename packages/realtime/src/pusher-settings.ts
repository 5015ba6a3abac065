export type { PusherSettings } from '@kiln/config';
