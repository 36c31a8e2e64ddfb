/**
 * Database credentials from AWS, for {@code cistern-connections}: the password (and where the database is) from a
 * secret in AWS Secrets Manager ({@code AWS_DB_SECRET} or {@code AWS_SECRET_NAME}, with {@code AWS_REGION}), or an RDS
 * IAM authentication token as each new connection's password ({@code DB_IAM_AUTH=true}). Found by {@link
 * java.util.ServiceLoader} when this module is on the classpath; {@code docs/aws.md} has the variables and the
 * rotation behaviour.
 */
package io.cistern.connections.aws;
