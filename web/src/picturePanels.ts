// The picture view's extension point: what a feature of a picture (comments, tags, likes…) shows under it.
import type { ComponentType } from 'react';
import type { PictureMeta } from './api';

/** What a panel is given: the picture on show (its details, not its bytes). */
export interface PicturePanelProps {
  picture: PictureMeta;
}

/** The panels the picture view (`/pictures/:id`) shows under a picture, in this order. None in this repository. */
export const PICTURE_PANELS: ComponentType<PicturePanelProps>[] = [];
