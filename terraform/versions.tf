# The one place that constrains Terraform and its providers. `make package` strips the constraints
# Chalice writes into chalice.tf.json (Terraform < 1.4, AWS provider < 5), which would clash with
# these: a module may declare its required providers only once.
terraform {
  # 1.9: variable validations may compare two variables (cognito_threat_protection needs PLUS).
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.31 is the first 5.x known to accept the python3.11/python3.12 Lambda runtimes; 6.x removed
      # `stage_name` on aws_api_gateway_deployment, which Chalice's generated API still relies on.
      version = ">= 5.31.0, < 6.0.0"
    }
  }
}
