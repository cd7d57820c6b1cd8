/**
 * @peculiar/x509, loaded after `reflect-metadata`: its dependency tsyringe throws at load time without
 * the Reflect metadata API. Every module of ours imports the library from here, never directly.
 */
import 'reflect-metadata';

export * from '@peculiar/x509';
