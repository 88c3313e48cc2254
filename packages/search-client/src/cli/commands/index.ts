import type { Command } from '../command.js';
import { configCommand } from './config.js';
import { deleteCommand } from './delete.js';
import { getCommand } from './get.js';
import { importCommand } from './import.js';
import { logsCommand } from './logs.js';
import { monitorCommand } from './monitor.js';
import { nearbyCommand } from './nearby.js';
import { searchCommand } from './search.js';

/** Every `geosearch` command, in help order. */
export const commands: readonly Command[] = [
  searchCommand,
  nearbyCommand,
  getCommand,
  deleteCommand,
  importCommand,
  monitorCommand,
  logsCommand,
  configCommand,
];
